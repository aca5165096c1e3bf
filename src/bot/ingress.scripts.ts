/**
 * Admission of one update in one round trip: de-duplicate, take the per-chat lock, spend a rate-limit token,
 * read the dialog state.
 * KEYS: 1 dedupe, 2 chat lock, 3 rate bucket, 4 notice flag, 5 dialog state
 * ARGV: 1 lock token, 2 lock ttl ms, 3 dedupe ttl s, 4 burst, 5 refill per ms, 6 notice ttl s, 7 rate-limit on (1/0)
 * Returns {status, dialog}: 0 duplicate, 1 admitted, 2 over the limit (first time: send the notice),
 * 3 chat busy (nothing changed; try again), 4 over the limit (notice already sent).
 */
export const ADMIT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {3} end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[3])
local dialog = redis.call('GET', KEYS[5])
if ARGV[7] == '1' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local burst = tonumber(ARGV[4])
  local rate = tonumber(ARGV[5])
  local b = redis.call('HMGET', KEYS[3], 'tokens', 'ts')
  local tokens = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
  local status = 1
  if tokens < 1 then
    if redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[6]) then status = 2 else status = 4 end
  else
    tokens = tokens - 1
  end
  redis.call('HSET', KEYS[3], 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[3], math.ceil(burst / rate) + 1000)
  return {status, dialog}
end
return {1, dialog}
`;

/**
 * After the features ran: save or drop the dialog state, forget the update if it was not handled (so a
 * redelivery is processed), release the chat lock if it is still ours.
 * KEYS: 1 chat lock, 2 dialog state, 3 dedupe
 * ARGV: 1 lock token, 2 dialog op (keep | set | del), 3 dialog json, 4 dialog ttl s, 5 forget update (1/0)
 */
export const RELEASE_SCRIPT = `
if ARGV[5] == '1' then redis.call('DEL', KEYS[3]) end
if ARGV[2] == 'set' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
elseif ARGV[2] == 'del' then redis.call('DEL', KEYS[2]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;
