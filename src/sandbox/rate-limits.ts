import type { Limits } from './sandbox.types';

/**
 * Classic token bucket. A request may take more tokens than are present (a 10-item media group
 * against a burst of 3) as long as min(cost, capacity) are available; the rest becomes debt,
 * so the chat is quiet for longer afterwards instead of such a request being impossible forever.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMs: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }

  /** Milliseconds until `cost` may be taken (0 = now). */
  waitMs(cost: number, now: number): number {
    this.refill(now);
    const need = Math.min(cost, this.capacity);
    if (this.tokens >= need) return 0;
    return this.perMs > 0 ? (need - this.tokens) / this.perMs : Number.POSITIVE_INFINITY;
  }

  take(cost: number): void {
    this.tokens -= cost;
  }
}

/** Per-bot limiter: one global bucket plus one bucket per chat. */
export class RateLimiter {
  private global: TokenBucket;
  private chats = new Map<number, TokenBucket>();

  constructor(private limits: Limits) {
    this.global = this.makeGlobal();
  }

  get current(): Limits {
    return { ...this.limits };
  }

  /** New limits start with full buckets: half-drained buckets under old rates would be confusing. */
  configure(partial: Partial<Limits>): Limits {
    this.limits = { ...this.limits, ...partial };
    this.reset();
    return this.current;
  }

  reset(): void {
    this.global = this.makeGlobal();
    this.chats.clear();
  }

  /**
   * Takes `cost` tokens from the global and the chat bucket together, or neither.
   * Returns 0 when allowed, otherwise Telegram's retry_after: whole seconds, at least 1.
   */
  consume(chatId: number, cost: number): number {
    if (!this.limits.enabled) return 0;
    const now = Date.now();
    const chat = this.chatBucket(chatId, now);
    const wait = Math.max(this.global.waitMs(cost, now), chat.waitMs(cost, now));
    if (wait > 0) return Number.isFinite(wait) ? Math.max(1, Math.ceil(wait / 1000)) : 3600;
    this.global.take(cost);
    chat.take(cost);
    return 0;
  }

  private makeGlobal(): TokenBucket {
    return new TokenBucket(this.limits.globalPerSecond / 1000, this.limits.globalBurst, Date.now());
  }

  private chatBucket(chatId: number, now: number): TokenBucket {
    let bucket = this.chats.get(chatId);
    if (!bucket) {
      bucket =
        chatId < 0
          ? new TokenBucket(this.limits.groupPerMinute / 60_000, this.limits.groupBurst, now)
          : new TokenBucket(this.limits.privatePerSecond / 1000, this.limits.privateBurst, now);
      this.chats.set(chatId, bucket);
    }
    return bucket;
  }
}
