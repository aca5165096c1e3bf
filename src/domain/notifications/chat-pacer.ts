import type { Config } from '../../config';
import { luaScript, queuePrefix, type RedisClient } from '../../lib/redis';

/**
 * Per-chat order and pace for outbound messages, shared by every notifications worker through Redis.
 *
 * Each `message.send` gets a per-chat sequence number when it is enqueued. A job may send only when its number is
 * the chat's `next` (so a chat's messages arrive in enqueue order whatever the number of workers), when the chat
 * is not paused by a 429 (`until`), and when the chat's token bucket has a token (private chats ≈ 1 msg/s with a
 * short burst, groups 20/min). Otherwise the job is told how long to wait and is delayed — it does not hold a
 * worker slot, and other chats keep flowing. Numbers that will never be sent (a duplicate add, a message dropped for
 * good) are marked skipped; a chat whose next message is missing for `stallMs` moves on so it can never wedge.
 */

/** KEYS: next, bucket, until, skip, waiting, global bucket, job lock. ARGV: seq, rate per ms, burst, stall ms, job id,
 * global rate per ms, global burst, lock token ('' = not checked).
 * Returns {0} go, {1, ms} wait (not this job's turn), {2, ms} wait (paused or no token), {3} the job's lock is no
 * longer this worker's (it stalled and another worker runs it now): send nothing. */
const CLAIM = `
if ARGV[8] ~= '' and redis.call('GET', KEYS[7]) ~= ARGV[8] then return {3} end
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
if next > 0 and seq > next and now - since > tonumber(ARGV[4]) then
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
  return {1, math.min(1000, math.max(50, tonumber(ARGV[4]) - (now - since)))}
end
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then return {2, paused - now} end
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
  return {2, math.max(waitChat, waitGlobal, 1)}
end
redis.call('HSET', KEYS[2], 'tokens', tostring(chat - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[2], math.ceil(burst / rate) + 1000)
redis.call('HSET', KEYS[6], 'tokens', tostring(global - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[6], math.ceil(gburst / grate) + 1000)
return {0}
`;

/** KEYS: seq, next. Returns the new number; initialises `next` when the chat has none. */
const SEQUENCE = `
local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 86400000)
if redis.call('HSETNX', KEYS[2], 'n', tostring(seq)) == 1 then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[2], 'since', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
  redis.call('PEXPIRE', KEYS[2], 86400000)
end
return seq
`;

/** KEYS: next, waiting. ARGV: seq. Moves `next` past seq; returns the id of the job waiting for the new turn, if any. */
const ADVANCE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local seq = tonumber(ARGV[1])
if next <= seq then
  redis.call('HSET', KEYS[1], 'n', tostring(seq + 1), 'since', tostring(now))
  redis.call('PEXPIRE', KEYS[1], 86400000)
end
redis.call('HDEL', KEYS[2], tostring(seq))
return redis.call('HGET', KEYS[2], tostring(seq + 1))
`;

export interface ChatLimits {
  /** Private chats: sustained messages per second and burst. */
  privatePerSecond: number;
  privateBurst: number;
  /** Groups (negative chat ids): messages per minute (burst of the same size). */
  groupPerMinute: number;
  /** How long a chat waits for a missing message before moving on. */
  stallMs: number;
  /** Messages per second to all chats together (Telegram: about 30 per bot). */
  globalPerSecond: number;
}

export function chatLimits(config: Pick<Config, 'CHAT_RATE_PER_SECOND' | 'CHAT_BURST' | 'GROUP_RATE_PER_MINUTE' | 'CHAT_STALL_MS' | 'TELEGRAM_GLOBAL_RATE'>): ChatLimits {
  return {
    privatePerSecond: config.CHAT_RATE_PER_SECOND,
    privateBurst: config.CHAT_BURST,
    groupPerMinute: config.GROUP_RATE_PER_MINUTE,
    stallMs: config.CHAT_STALL_MS,
    globalPerSecond: config.TELEGRAM_GLOBAL_RATE,
  };
}

/** `lost`: the job's lock is another worker's now (nothing may be sent from here). */
export type Claim = { go: true } | { go: false; waitMs: number; reason: 'turn' | 'pace' | 'lost' };

const claimScript = luaScript(CLAIM, 7);
const sequenceScript = luaScript(SEQUENCE, 2);
const advanceScript = luaScript(ADVANCE, 2);

export class ChatPacer {
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly limits: ChatLimits,
  ) {
    // On a cluster the pacer's keys share the notifications queue's tag: a claim checks the job's BullMQ lock in the
    // same script (one slot), and every send touches the global bucket anyway.
    this.base = queuePrefix(redis, prefix, 'notifications');
    claimScript.define(redis);
    sequenceScript.define(redis);
    advanceScript.define(redis);
  }

  private key(chatId: number, name: string): string {
    return `${this.base}:chat:${chatId}:${name}`;
  }

  /**
   * The next sequence number of a chat, taken when a message is enqueued. The first number after the chat was idle
   * also becomes its `next`, so a later number can never overtake it.
   */
  async sequence(chatId: number): Promise<number> {
    return (await sequenceScript(this.redis, this.key(chatId, 'seq'), this.key(chatId, 'next'))) as number;
  }

  /** A number that will never be sent (its job already existed): the chat must not wait for it. */
  async skip(chatId: number, seq: number): Promise<void> {
    // A day, like the chat's other keys: a chat that never sends again does not keep its skip set for ever.
    await this.redis.multi().sadd(this.key(chatId, 'skip'), String(seq)).pexpire(this.key(chatId, 'skip'), 86_400_000).exec();
  }

  /**
   * May this message go now? `lock` (the job's BullMQ lock key and this worker's token) is checked in the same
   * step: a worker whose job stalled (its event loop too busy to renew the lock) and was handed to another worker
   * must not send it as well.
   */
  async claim(chatId: number, seq: number, jobId: string, lock?: { key: string; token: string }): Promise<Claim> {
    const group = chatId < 0;
    // A 5 % margin under Telegram's own numbers, so clock and network jitter never earn a 429.
    const ratePerMs = (group ? this.limits.groupPerMinute / 60_000 : this.limits.privatePerSecond / 1_000) * 0.95;
    const burst = group ? this.limits.groupPerMinute : this.limits.privateBurst;
    // The global bucket keeps a third of a second's burst: Telegram's own bucket is then never drained by our burst,
    // and requests that a busy event loop sends in a bunch still fit; that slack lets it run at 98 % of the rate.
    const globalPerMs = (this.limits.globalPerSecond / 1_000) * 0.98;
    const [code, ms] = (await claimScript(
      this.redis,
      this.key(chatId, 'next'), this.key(chatId, 'bucket'), this.key(chatId, 'until'), this.key(chatId, 'skip'), this.key(chatId, 'waiting'),
      `${this.base}:telegram:global-bucket`, lock?.key ?? `${this.base}:telegram:no-lock`,
      seq, ratePerMs, burst, this.limits.stallMs, jobId, globalPerMs, Math.max(1, Math.floor(this.limits.globalPerSecond / 3)), lock?.token ?? '',
    )) as [number, number?];
    if (code === 0) return { go: true };
    if (code === 3) return { go: false, waitMs: 0, reason: 'lost' };
    return { go: false, waitMs: Number(ms), reason: code === 1 ? 'turn' : 'pace' };
  }

  /** Telegram said 429 for this chat: nothing goes to it until `retryAfterSeconds` have passed. */
  async pause(chatId: number, retryAfterSeconds: number): Promise<number> {
    const until = Date.now() + retryAfterSeconds * 1_000;
    await this.redis.set(this.key(chatId, 'until'), String(until), 'PX', retryAfterSeconds * 1_000 + 1_000);
    return retryAfterSeconds * 1_000;
  }

  /** Whether it is this message's turn in its chat now (closes the race between a wait and the promotion). */
  async isTurn(chatId: number, seq: number): Promise<boolean> {
    return Number(await this.redis.hget(this.key(chatId, 'next'), 'n')) === seq;
  }

  /** This message is done (sent, or given up): the chat's next one may go. Returns the job waiting for that turn. */
  async advance(chatId: number, seq: number): Promise<string | null> {
    return (await advanceScript(this.redis, this.key(chatId, 'next'), this.key(chatId, 'waiting'), seq)) as string | null;
  }
}
