import { randomUUID } from 'node:crypto';
import type { Telegram } from 'telegraf';
import type { Update } from 'telegraf/types';
import { redact, type Logger } from '../lib/logger';
import { luaScript, type RedisClient, slotTag } from '../lib/redis';
import { ALLOWED_UPDATES, type Ingress } from './ingress';

/** Take the lease if free: value "<instance>:<fencing token>". KEYS: lease, fence. ARGV: instance, ttl ms. */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token`;
/** Extend the lease only while it is still ours. KEYS: lease. ARGV: value, ttl ms. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
/** Record the next offset only while the lease is ours (the fencing check). KEYS: lease, offset. ARGV: value, offset. */
const COMMIT = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) return 1 end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface PollingOptions {
  prefix: string;
  botId: number;
  leaseTtlMs: number;
  timeoutSeconds: number;
  /** How often a standby checks whether the lease is free. */
  standbyIntervalMs?: number;
}

// Once per getUpdates batch: by its SHA. The lease's own scripts run seldom and stay plain EVAL.
const commitScript = luaScript(COMMIT, 2);

/**
 * Long polling behind a Redis lease. Exactly one instance polls; the others stand by and take over once the
 * lease lapses (leader killed) or is released (leader stopped). The offset lives in Redis and is only advanced by
 * the current lease holder, so a new leader resumes where the old one stopped: unconfirmed updates come again and
 * the ingress de-duplication drops any the old leader had already enqueued.
 */
export class PollingLeader {
  readonly instance = randomUUID();
  private leaseValue: string | null = null;
  private stopped = false;
  private abort: AbortController | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly telegram: Telegram,
    private readonly ingress: Ingress,
    private readonly log: Logger,
    private readonly opts: PollingOptions,
  ) {
    commitScript.define(redis);
  }

  private key(name: string): string {
    // One tag for the lease, fence and offset on a cluster: the scripts take two of them at once.
    return `${slotTag(this.redis, `${this.opts.prefix}:bot:${this.opts.botId}:polling`)}:${name}`;
  }

  get isLeader(): boolean {
    return this.leaseValue !== null;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops polling and releases the lease at once so a standby can take over without waiting for the TTL. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const standbyMs = this.opts.standbyIntervalMs ?? Math.min(1_000, Math.floor(this.opts.leaseTtlMs / 4));
    while (!this.stopped) {
      try {
        if (await this.acquire()) await this.lead();
      } catch (err) {
        this.log.error('polling error', { error: redact(err instanceof Error ? err.message : String(err)) });
      }
      if (!this.stopped) await this.sleep(standbyMs);
    }
  }

  private async acquire(): Promise<boolean> {
    const token = (await this.redis.eval(ACQUIRE, 2, this.key('lease'), this.key('fence'), this.instance, this.opts.leaseTtlMs)) as number;
    if (!token) return false;
    this.leaseValue = `${this.instance}:${token}`;
    this.log.info('polling lease acquired; this instance polls', { fence: token });
    return true;
  }

  private async lead(): Promise<void> {
    const value = this.leaseValue!;
    let renewedAt = Date.now();
    this.renewTimer = setInterval(() => {
      // Cut off from Redis for most of a TTL: a standby may hold the lease by now, so stop polling first.
      if (Date.now() - renewedAt > (this.opts.leaseTtlMs * 2) / 3) this.lose(value, 'lease not renewed in time');
      this.redis.eval(RENEW, 1, this.key('lease'), value, this.opts.leaseTtlMs).then(
        (ok) => {
          if (ok) renewedAt = Date.now();
          else this.lose(value, 'lease lost (expired or taken)');
        },
        (err: Error) => this.log.warn('lease renewal failed', { error: err.message }),
      );
    }, Math.floor(this.opts.leaseTtlMs / 3));
    try {
      while (!this.stopped && this.leaseValue === value) {
        // Created before any await, so a stop() or lose() arriving meanwhile aborts this very poll.
        this.abort = new AbortController();
        const offset = Number((await this.redis.get(this.key('offset'))) ?? 0);
        if (this.stopped || this.leaseValue !== value) break;
        let updates: Update[];
        try {
          updates = (await this.telegram.callApi(
            'getUpdates',
            { offset, timeout: this.opts.timeoutSeconds, limit: 100, allowed_updates: [...ALLOWED_UPDATES] },
            { signal: this.abort.signal as never },
          )) as Update[];
        } catch (err) {
          if (this.stopped || this.leaseValue !== value) break;
          throw err;
        }
        if (!updates.length) continue;
        // Different chats in parallel; the ingress keeps each chat's updates in order.
        const results = await Promise.allSettled(updates.map((u) => this.ingress.handleUpdate(u)));
        // Commit up to the first update that could not be handled: it and the ones after it come again
        // (those already enqueued are then dropped as duplicates).
        const failed = results.findIndex((r) => r.status === 'rejected');
        const next = failed < 0 ? updates[updates.length - 1]!.update_id + 1 : updates[failed]!.update_id;
        if (failed >= 0) {
          const reason = (results[failed] as PromiseRejectedResult).reason as Error;
          this.log.warn('update not handled; will fetch it again', { update_id: next, error: redact(reason?.message ?? String(reason)) });
        }
        if (next > offset) {
          const committed = await commitScript(this.redis, this.key('lease'), this.key('offset'), value, next);
          if (!committed) this.lose(value, 'offset refused: another instance holds the lease');
        }
        if (failed >= 0) await this.sleep(500);
      }
    } finally {
      clearInterval(this.renewTimer!);
      this.renewTimer = null;
      if (this.leaseValue === value) {
        await this.redis.eval(RELEASE, 1, this.key('lease'), value).catch(() => undefined);
        this.leaseValue = null;
        this.log.info('polling lease released');
      }
    }
  }

  private lose(value: string, reason: string): void {
    // A late answer about an older lease must not unseat the current one.
    if (this.leaseValue !== value) return;
    this.log.warn('stepping down from polling', { reason });
    this.leaseValue = null;
    this.abort?.abort();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
