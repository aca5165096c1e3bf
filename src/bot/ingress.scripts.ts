/**
 * Admission of a batch of updates in one round trip. For each update: de-duplicate, take the per-chat lock, spend
 * a rate-limit token, read the dialog state.
 * KEYS, 4 per update: dedupe, chat lock, rate bucket (hash: tokens, ts, notice = until when the notice was sent),
 * dialog state
 * ARGV: 1 lock ttl ms, 2 dedupe ttl s, 3 burst, 4 refill per ms, 5 notice ttl s, then one lock token per update
 * Returns per update {status, dialog}: 0 duplicate, 1 admitted, 2 over the limit (first time: send the notice),
 * 3 chat busy (nothing changed; try again), 4 over the limit (notice already sent).
 */
export const ADMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local burst = tonumber(ARGV[3])
local rate = tonumber(ARGV[4])
local out = {}
for i = 0, #KEYS / 4 - 1 do
  local k = i * 4
  local status = 1
  local dialog = false
  if redis.call('EXISTS', KEYS[k + 1]) == 1 then
    status = 0
  elseif not redis.call('SET', KEYS[k + 2], ARGV[6 + i], 'NX', 'PX', ARGV[1]) then
    status = 3
  else
    redis.call('SET', KEYS[k + 1], '1', 'EX', ARGV[2])
    dialog = redis.call('GET', KEYS[k + 4])
    local b = redis.call('HMGET', KEYS[k + 3], 'tokens', 'ts', 'notice')
    local tokens = tonumber(b[1]) or burst
    local ts = tonumber(b[2]) or now
    local notice = tonumber(b[3]) or 0
    tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
    if tokens < 1 then
      -- One notice per burst: not again until the notice period has passed.
      if notice <= now then
        status = 2
        notice = now + tonumber(ARGV[5]) * 1000
      else
        status = 4
      end
    else
      tokens = tokens - 1
    end
    redis.call('HSET', KEYS[k + 3], 'tokens', tostring(tokens), 'ts', tostring(now), 'notice', tostring(notice))
    redis.call('PEXPIRE', KEYS[k + 3], math.max(math.ceil(burst / rate), tonumber(ARGV[5]) * 1000) + 1000)
  end
  out[i + 1] = {status, dialog}
end
return out
`;

/**
 * After the features ran, for a batch of updates: save or drop the dialog state, forget an update that was not
 * handled (so a redelivery is processed), release the chat lock if it is still ours.
 * KEYS, 3 per update: chat lock, dialog state, dedupe
 * ARGV, 5 per update: lock token, dialog op (keep | set | del), dialog json, dialog ttl s, forget update (1/0)
 */
export const RELEASE_SCRIPT = `
for i = 0, #KEYS / 3 - 1 do
  local k = i * 3
  local a = i * 5
  if ARGV[a + 5] == '1' then redis.call('DEL', KEYS[k + 3]) end
  if ARGV[a + 2] == 'set' then redis.call('SET', KEYS[k + 2], ARGV[a + 3], 'EX', ARGV[a + 4])
  elseif ARGV[a + 2] == 'del' then redis.call('DEL', KEYS[k + 2]) end
  if redis.call('GET', KEYS[k + 1]) == ARGV[a + 1] then redis.call('DEL', KEYS[k + 1]) end
end
return 1
`;
