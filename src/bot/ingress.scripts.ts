/** Spends one token of a user's bucket (hash: tokens, ts, notice = until when the notice was sent): 1 spent, 2 over the limit (send the notice), 4 over the limit (notice already sent). */
const SPEND = `
local function spend(key, now, burst, rate, noticeS)
  local b = redis.call('HMGET', key, 'tokens', 'ts', 'notice')
  local tokens = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  local notice = tonumber(b[3]) or 0
  local status = 1
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  if tokens < 1 then
    -- One notice per burst: not again until the notice period has passed.
    if notice <= now then
      status = 2
      notice = now + noticeS * 1000
    else
      status = 4
    end
  else
    tokens = tokens - 1
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now), 'notice', tostring(notice))
  redis.call('PEXPIRE', key, math.max(math.ceil(burst / rate), noticeS * 1000) + 1000)
  return status
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Admission of a batch of updates in one round trip. For each update: de-duplicate, take the per-chat lock, spend
 * a rate-limit token, read the dialog state.
 * KEYS: on one Redis first the dialog store's epoch and its recovery flag (src/jobs/dialog-keys.ts); then 3 per
 * update: dedupe, chat lock, dialog state; then the rate buckets the updates name by index.
 * ARGV: 1 lock ttl ms, 2 burst, 3 refill per ms, 4 notice ttl s, 5 "keys" (read the store's two keys) or 1/0 (the
 * caller read them: a cluster keeps them in a slot of their own), 6 number of updates; then per update: lock token,
 * index of its bucket in KEYS (0: no rate limit here: exempt, or its bucket lives in another slot of a cluster).
 * The dedupe key is "pending:<token>" (expiring with the lock) until release marks it "done": an update whose
 * handling died half-way is processed again on redelivery instead of being taken for a duplicate.
 * Returns per update {status, dialog, restore}: status 0 duplicate, 1 admitted, 2 over the limit (first time: send
 * the notice), 3 busy (chat locked, or this update is being handled elsewhere; nothing changed; try again), 4 over
 * the limit (notice already sent); restore 1 when Redis has no dialog state for an admitted update while it may have
 * lost some (no epoch, or a recovery window open): the bot has it restored from Postgres before routing.
 */
export const ADMIT_SCRIPT = `${SPEND}
local burst = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local noticeS = tonumber(ARGV[4])
local base = 0
local mayHaveLost = ARGV[5] == '1'
if ARGV[5] == 'keys' then
  mayHaveLost = redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1
  base = 2
end
local out = {}
for i = 0, tonumber(ARGV[6]) - 1 do
  local k = base + i * 3
  local token = ARGV[7 + i * 2]
  local bucket = tonumber(ARGV[8 + i * 2])
  local status = 1
  local dialog = false
  local restore = 0
  local seen = redis.call('GET', KEYS[k + 1])
  if seen == 'done' then
    status = 0
  elseif seen or not redis.call('SET', KEYS[k + 2], token, 'NX', 'PX', ARGV[1]) then
    status = 3
  else
    redis.call('SET', KEYS[k + 1], 'pending:' .. token, 'PX', ARGV[1])
    dialog = redis.call('GET', KEYS[k + 3])
    if not dialog and mayHaveLost then restore = 1 end
    if bucket > 0 then status = spend(KEYS[bucket], now, burst, rate, noticeS) end
  end
  out[i + 1] = {status, dialog, restore}
end
return out
`;

/**
 * The rate limit alone, for updates whose user's bucket lives in another slot than their chat (a group chat on a
 * cluster): run after the admission, while the chat's lock is held. KEYS: the buckets. ARGV: 1 burst, 2 refill per
 * ms, 3 notice ttl s. Returns the status of each as the admission would (1, 2 or 4).
 */
export const RATE_SCRIPT = `${SPEND}
local out = {}
for i = 1, #KEYS do out[i] = spend(KEYS[i], now, tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])) end
return out
`;

/**
 * After the features ran, for a batch of updates, only where the lock is still ours: mark the update done (or
 * forget it when it was not handled, so a redelivery is processed), save or drop the dialog state, release the
 * lock. A handler that outlived its lock changes nothing: another instance may own the chat by now.
 * KEYS, 3 per update: chat lock, dialog state, dedupe
 * ARGV: 1 dedupe ttl s; then 5 per update: lock token, dialog op (keep | set | del), dialog json, dialog ttl s,
 * handled (1/0)
 */
export const RELEASE_SCRIPT = `
for i = 0, #KEYS / 3 - 1 do
  local k = i * 3
  local a = 1 + i * 5
  if redis.call('GET', KEYS[k + 1]) == ARGV[a + 1] then
    if ARGV[a + 5] == '1' then
      redis.call('SET', KEYS[k + 3], 'done', 'EX', ARGV[1])
      if ARGV[a + 2] == 'set' then redis.call('SET', KEYS[k + 2], ARGV[a + 3], 'EX', ARGV[a + 4])
      elseif ARGV[a + 2] == 'del' then redis.call('DEL', KEYS[k + 2]) end
    elseif redis.call('GET', KEYS[k + 3]) == 'pending:' .. ARGV[a + 1] then
      redis.call('DEL', KEYS[k + 3])
    end
    redis.call('DEL', KEYS[k + 1])
  end
end
return 1
`;
