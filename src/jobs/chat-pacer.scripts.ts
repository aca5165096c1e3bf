/** The chat pacer's Lua (src/jobs/chat-pacer.ts); every key of one call is one chat's, in one slot. */

/** KEYS: next, bucket, until, skip, waiting, global bucket, job lock, reserved, sending. ARGV: seq, rate per ms, burst,
 * stall ms, job id, global rate per ms, global burst, lock token ('' = not checked), reply wait ms (how long a reserved
 * number, whose job is known to be queued, is waited for), the notifications queue's job key prefix, sending ttl ms.
 * `sending` (per job) names the run whose send is in flight: a run that took the job over after a stall waits for it
 * (its receipt then says the part went) rather than sending the part a second time.
 * Returns {0} go, {1, ms} wait (not this job's turn), {2, ms} wait (paused or no token), {3} the job's lock is no
 * longer this worker's (it stalled and another worker runs it now): send nothing. */
export const CLAIM = `
-- Every answer but "go" means this run sends nothing now: its own in-flight mark (from its previous part) goes.
local function notnow(answer)
  if ARGV[8] ~= '' and redis.call('GET', KEYS[9]) == ARGV[8] then redis.call('DEL', KEYS[9]) end
  return answer
end
if ARGV[8] ~= '' and redis.call('GET', KEYS[7]) ~= ARGV[8] then return notnow({3}) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = tonumber(ARGV[1])
local next = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
-- seq 0: a message without a number (an old producer): paced, not ordered.
if seq == 0 then next = -1 end
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or tostring(now))
if next == 0 then next = seq end
while next > 0 and redis.call('SISMEMBER', KEYS[4], tostring(next)) == 1 do
  redis.call('SREM', KEYS[4], tostring(next))
  next = next + 1
  since = now
end
-- The head of the line is here (waiting for its pace, or for a 429 pause to end): it has not vanished.
if seq == next then since = now end
local bound = tonumber(ARGV[4])
if next > 0 and seq > next then
  -- The head is a reserved number: its job is still to run ('1'), or its message is queued under a job id ('j:<id>',
  -- waited for while that job exists in the notifications queue, whose keys share this slot: ARGV[10] .. id).
  -- A head held under this very job's id is this message queued again under a new number (lost, then relayed):
  -- not waited for beyond CHAT_STALL_MS.
  local r = redis.call('HGET', KEYS[8], tostring(next))
  if r == '1' or (r and r ~= 'j:' .. ARGV[5] and string.sub(r, 1, 2) == 'j:' and redis.call('EXISTS', ARGV[10] .. string.sub(r, 3)) == 1) then
    bound = tonumber(ARGV[9])
  end
end
-- A pause (429) stops the clock too: the head cannot go before it ends.
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
local deadline = math.max(since, paused) + bound
if next > 0 and seq > next and now > deadline then
  next = seq
  since = now
end
if next > 0 then
  redis.call('HSET', KEYS[1], 'n', tostring(next), 'since', tostring(since))
  redis.call('PEXPIRE', KEYS[1], 86400000)
end
if next > 0 and seq > next then
  redis.call('HSET', KEYS[5], tostring(seq), ARGV[5])
  redis.call('PEXPIRE', KEYS[5], 86400000)
  -- The predecessor promotes this job when it is done; the wait is only the fallback.
  return notnow({1, math.min(1000, math.max(50, deadline - now))})
end
if paused > now then return notnow({2, paused - now}) end
if ARGV[8] ~= '' then
  local owner = redis.call('GET', KEYS[9])
  if owner and owner ~= ARGV[8] then return {2, math.min(1000, math.max(50, redis.call('PTTL', KEYS[9])))} end
end
-- Two buckets, the chat's and the bot's global one: a token is taken from both, or from neither.
local function level(key, rate, burst)
  local b = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  return math.min(burst, tokens + math.max(0, now - ts) * rate)
end
local rate, burst = tonumber(ARGV[2]), tonumber(ARGV[3])
local grate, gburst = tonumber(ARGV[6]), tonumber(ARGV[7])
local chat = level(KEYS[2], rate, burst)
local global = level(KEYS[6], grate, gburst)
if chat < 1 or global < 1 then
  local waitChat = chat < 1 and math.ceil((1 - chat) / rate) or 0
  local waitGlobal = global < 1 and math.ceil((1 - global) / grate) or 0
  return notnow({2, math.max(waitChat, waitGlobal, 1)})
end
redis.call('HSET', KEYS[2], 'tokens', tostring(chat - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[2], math.ceil(burst / rate) + 1000)
redis.call('HSET', KEYS[6], 'tokens', tostring(global - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[6], math.ceil(gburst / grate) + 1000)
if ARGV[8] ~= '' then redis.call('SET', KEYS[9], ARGV[8], 'PX', ARGV[11]) end
return {0}
`;

/** KEYS: seq, next. Returns the new number; initialises `next` when the chat has none. */
/** The new number in `seq` (KEYS[1], KEYS[2] as SEQUENCE's); shared by SEQUENCE and TAKE. */
const NEXT_SEQ = `
local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 86400000)
if redis.call('HSETNX', KEYS[2], 'n', tostring(seq)) == 1 then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[2], 'since', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
`;
export const SEQUENCE = `${NEXT_SEQ}return seq
`;

/**
 * KEYS: next, waiting, reserved, sending. ARGV: seq. Moves `next` past seq (and off the reserved numbers), clears the
 * job's in-flight mark; returns the id of the job waiting for the new turn, if any.
 */
export const ADVANCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local seq = tonumber(ARGV[1])
if next <= seq then
  redis.call('HSET', KEYS[1], 'n', tostring(seq + 1), 'since', tostring(now))
  redis.call('PEXPIRE', KEYS[1], 86400000)
end
redis.call('HDEL', KEYS[2], tostring(seq))
redis.call('HDEL', KEYS[3], tostring(seq))
redis.call('DEL', KEYS[4])
return redis.call('HGET', KEYS[2], tostring(seq + 1))
`;

/**
 * Reply numbers reserved when an update's job is queued (`reserve`), one per update: a repeat (a redelivered update)
 * gets the number it got the first time; the chat's `reserved` hash lists the numbers whose job is still to send.
 * KEYS, 4 per update: seq, next, reservation, reserved. ARGV: 1 reservation ttl ms.
 * Returns the numbers (0 for a reservation already taken or released, also when the job took or released it before
 * this call landed: see TAKE).
 */
export const RESERVE = `
local out = {}
for i = 0, #KEYS / 4 - 1 do
  local k = i * 4
  local have = redis.call('GET', KEYS[k + 3])
  if have then
    out[i + 1] = tonumber(have) or 0
  else
    local seq = redis.call('INCR', KEYS[k + 1])
    redis.call('PEXPIRE', KEYS[k + 1], 86400000)
    if redis.call('HSETNX', KEYS[k + 2], 'n', tostring(seq)) == 1 then
      local t = redis.call('TIME')
      redis.call('HSET', KEYS[k + 2], 'since', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
      redis.call('PEXPIRE', KEYS[k + 2], 86400000)
    end
    redis.call('SET', KEYS[k + 3], tostring(seq), 'PX', ARGV[1])
    redis.call('HSET', KEYS[k + 4], tostring(seq), '1')
    redis.call('PEXPIRE', KEYS[k + 4], 86400000)
    out[i + 1] = seq
  end
end
return out
`;

/**
 * The number of a message the job of an update queues: the update's reserved number if it is still free (the first
 * message takes it, marked "x<n>"), else a new one as SEQUENCE gives. KEYS: seq, next, reservation, reserved.
 * ARGV: the message's job id ('' when BullMQ picks it), the reservation's ttl ms.
 * The bot's reservation is sent alongside the job's add, so a quick job can send before it lands: the update is then
 * marked taken here ("x<n>"), and the late RESERVE reserves nothing (else its number would hold the line for
 * CHAT_REPLY_WAIT_MS with no message ever to take it).
 */
export const TAKE = `
local have = redis.call('GET', KEYS[3])
if have and string.sub(have, 1, 1) ~= 'x' then
  redis.call('SET', KEYS[3], 'x' .. have, 'KEEPTTL')
  -- A message with a job id of its own stays reserved until it is sent (ADVANCE), under its job's id: while that
  -- job exists (queued behind a backlog) the line waits for it as long; once it is gone (lost) no longer.
  if ARGV[1] ~= '' then redis.call('HSET', KEYS[4], have, 'j:' .. ARGV[1]) else redis.call('HDEL', KEYS[4], have) end
  return tonumber(have)
end
${NEXT_SEQ}if not have then redis.call('SET', KEYS[3], 'x' .. seq, 'PX', ARGV[2]) end
return seq
`;

/**
 * The update's job ended without taking its reserved number (it sent nothing, or failed for good): the number is
 * given up. At the head of the line the chat moves on at once (past numbers skipped meanwhile) and the id of the job
 * waiting for the new turn is returned, to be promoted; further back it is marked skipped.
 * KEYS: next, skip, waiting, reservation, reserved. ARGV: the reservation's ttl ms.
 * A job done before the bot's reservation landed marks the update released ("x"): the late RESERVE reserves nothing.
 */
export const RELEASE = `
local have = redis.call('GET', KEYS[4])
if not have then
  redis.call('SET', KEYS[4], 'x', 'PX', ARGV[1])
  return false
end
if string.sub(have, 1, 1) == 'x' then return false end
redis.call('SET', KEYS[4], 'x' .. have, 'KEEPTTL')
redis.call('HDEL', KEYS[5], have)
local seq = tonumber(have)
local next = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if next == seq then
  next = seq + 1
  while redis.call('SISMEMBER', KEYS[2], tostring(next)) == 1 do
    redis.call('SREM', KEYS[2], tostring(next))
    next = next + 1
  end
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[1], 'n', tostring(next), 'since', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
  redis.call('PEXPIRE', KEYS[1], 86400000)
  return redis.call('HGET', KEYS[3], tostring(next))
elseif next < seq then
  redis.call('SADD', KEYS[2], tostring(seq))
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
return false
`;

/** KEYS: sending. ARGV: lock token. This run's send failed: a retry need not wait for the mark to lapse. */
export const UNCLAIM = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;
