import type { Config } from '../config';
import { Batcher } from '../lib/batcher';
import { luaScript, queuePrefix, type RedisClient } from '../lib/redis';
import { ADVANCE, CLAIM, RELEASE, RESERVE, SEQUENCE, TAKE, UNCLAIM } from './chat-pacer.scripts';

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

export interface ChatLimits {
  /** Private chats: sustained messages per second and burst. */
  privatePerSecond: number;
  privateBurst: number;
  /** Groups (negative chat ids): messages per minute (burst of the same size). */
  groupPerMinute: number;
  /** How long a chat waits for a missing message before moving on. */
  stallMs: number;
  /** How long it waits for a reserved reply whose job is still queued (order across updates). */
  replyWaitMs: number;
  /** Messages per second to all chats together (Telegram: about 30 per bot). */
  globalPerSecond: number;
  /**
   * How long a claimed send keeps another run of the same job (after a stall) from sending: the longest a Telegram
   * call can take, plus its receipt.
   */
  sendingMs: number;
}

export function chatLimits(
  config: Pick<Config, 'CHAT_RATE_PER_SECOND' | 'CHAT_BURST' | 'GROUP_RATE_PER_MINUTE' | 'CHAT_STALL_MS' | 'CHAT_REPLY_WAIT_MS' | 'TELEGRAM_GLOBAL_RATE' | 'TELEGRAM_TIMEOUT_SECONDS'>,
): ChatLimits {
  return {
    privatePerSecond: config.CHAT_RATE_PER_SECOND,
    privateBurst: config.CHAT_BURST,
    groupPerMinute: config.GROUP_RATE_PER_MINUTE,
    stallMs: config.CHAT_STALL_MS,
    replyWaitMs: config.CHAT_REPLY_WAIT_MS,
    globalPerSecond: config.TELEGRAM_GLOBAL_RATE,
    sendingMs: config.TELEGRAM_TIMEOUT_SECONDS * 1_000 + 5_000,
  };
}

/** `lost`: the job's lock is another worker's now (nothing may be sent from here). */
export type Claim = { go: true } | { go: false; waitMs: number; reason: 'turn' | 'pace' | 'lost' };

const claimScript = luaScript(CLAIM, 9);
const sequenceScript = luaScript(SEQUENCE, 2);
const takeScript = luaScript(TAKE, 4);
const advanceScript = luaScript(ADVANCE, 4);
const unclaimScript = luaScript(UNCLAIM, 1);
const reserveScript = luaScript(RESERVE);
const releaseScript = luaScript(RELEASE, 5);

/**
 * How long an update's reserved reply number waits to be taken. Past it the reply takes a new number (a job that
 * waited this long has long been overtaken: the line moves on after `stallMs`), and a redelivered update gets a new
 * reservation.
 */
const RESERVATION_TTL_MS = 3_600_000;

export class ChatPacer {
  private readonly base: string;
  private readonly reservations: Batcher<{ chatId: number; updateId: number }, number>;

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
    takeScript.define(redis);
    advanceScript.define(redis);
    reserveScript.define(redis);
    releaseScript.define(redis);
    unclaimScript.define(redis);
    // A batch of updates' reservations in one call: every pacer key shares one slot on a cluster.
    this.reservations = new Batcher(async (items) => {
      const keys = items.flatMap(({ chatId, updateId }) => [this.key(chatId, 'seq'), this.key(chatId, 'next'), this.reservation(chatId, updateId), this.key(chatId, 'reserved')]);
      return (await reserveScript(this.redis, keys.length, ...keys, RESERVATION_TTL_MS)) as number[];
    });
  }

  private reservation(chatId: number, updateId: number): string {
    return this.key(chatId, `reply:${updateId}`);
  }

  private key(chatId: number, name: string): string {
    return `${this.base}:chat:${chatId}:${name}`;
  }

  /**
   * The next sequence number of a chat, taken when a message is enqueued. The first number after the chat was idle
   * also becomes its `next`, so a later number can never overtake it.
   */
  async sequence(chatId: number, updateId?: number, jobId?: string): Promise<number> {
    if (updateId === undefined) return (await sequenceScript(this.redis, this.key(chatId, 'seq'), this.key(chatId, 'next'))) as number;
    // The first message for an update whose job reserved a number takes that number (docs/DELIVERY.md).
    return (await takeScript(
      this.redis, this.key(chatId, 'seq'), this.key(chatId, 'next'), this.reservation(chatId, updateId), this.key(chatId, 'reserved'), jobId ?? '',
      RESERVATION_TTL_MS,
    )) as number;
  }

  /**
   * Order across updates: when an update's job is queued, the number its reply will take is reserved in the chat's
   * line, so replies go out in the order the updates came whichever job finishes first. Idempotent per update.
   */
  reserve(chatId: number, updateId: number): Promise<number> {
    return this.reservations.call({ chatId, updateId });
  }

  /**
   * The update's job ended (done, or failed for good) without taking its number: the chat's line moves past it.
   * Returns the id of the message job waiting for the new turn, to be promoted, if any.
   */
  async release(chatId: number, updateId: number): Promise<string | null> {
    return (await releaseScript(
      this.redis, this.key(chatId, 'next'), this.key(chatId, 'skip'), this.key(chatId, 'waiting'), this.reservation(chatId, updateId), this.key(chatId, 'reserved'),
      RESERVATION_TTL_MS,
    )) as string | null;
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
      `${this.base}:telegram:global-bucket`, lock?.key ?? `${this.base}:telegram:no-lock`, this.key(chatId, 'reserved'),
      this.sending(chatId, jobId),
      seq, ratePerMs, burst, this.limits.stallMs, jobId, globalPerMs, Math.max(1, Math.floor(this.limits.globalPerSecond / 3)), lock?.token ?? '',
      this.limits.replyWaitMs, `${this.base}:notifications:`, this.limits.sendingMs,
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
  async advance(chatId: number, seq: number, jobId = ''): Promise<string | null> {
    return (await advanceScript(
      this.redis, this.key(chatId, 'next'), this.key(chatId, 'waiting'), this.key(chatId, 'reserved'), this.sending(chatId, jobId), seq,
    )) as string | null;
  }

  /** This run's send failed (Telegram refused it, or it timed out): its retry need not wait for the in-flight mark. */
  async unclaim(chatId: number, jobId: string, lock: { token: string } | undefined): Promise<void> {
    if (lock) await unclaimScript(this.redis, this.sending(chatId, jobId), lock.token);
  }

  /** The in-flight mark of a job's send (CLAIM sets it with the run's lock token). */
  private sending(chatId: number, jobId: string): string {
    return this.key(chatId, `sending:${jobId}`);
  }
}
