import { type RedisClient, slotTag } from '../lib/redis';

/** Strips what varies between repeats of the same failure (ids, numbers) so they share one fingerprint. */
export function fingerprintOf(source: string, message: string): string {
  return `${source}|${message.replace(/\d+/g, '#').slice(0, 200)}`;
}

/** What an `admin.alert` job carries (its payload in src/jobs/catalogue.ts). */
export interface AlertPayload {
  fingerprint: string;
  source: string;
  message: string;
  firstSeenAt: string;
}

/**
 * How an alert is queued: the job layer's `enqueue` (src/jobs/enqueue.ts) is one. Declared here, as the little this
 * file needs, so that observability does not import the job layer above it.
 */
export type EnqueueAlert = (name: 'admin.alert', payload: AlertPayload, options: { delay: number; jobId: string }) => Promise<unknown>;

export interface AlertOptions {
  /** One alert per fingerprint per window; repeats in between are counted into it. */
  windowSeconds: number;
  /** How long the first occurrence waits for repeats before the alert goes out. */
  delayMs: number;
}

/**
 * Failures worth an admin's attention, throttled and de-duplicated across every process: the first occurrence of a
 * fingerprint in a window schedules one delayed `admin.alert` job; repeats only add to its count in Redis. The same
 * error 1,000 times is one message "… (×1000)".
 */
export class AdminAlerts {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly enqueue: EnqueueAlert,
    private readonly opts: AlertOptions,
  ) {}

  private key(fingerprint: string, suffix: string): string {
    // A fingerprint's keys share a tag on a cluster (one MULTI takes them).
    return `${slotTag(this.redis, `${this.prefix}:alerts:${Buffer.from(fingerprint).toString('base64url').slice(0, 120)}`)}:${suffix}`;
  }

  async report(source: string, message: string): Promise<void> {
    const fingerprint = fingerprintOf(source, message);
    const count = this.key(fingerprint, 'count');
    const [[, n], [, first]] = (await this.redis
      .multi()
      .incr(count)
      .set(this.key(fingerprint, 'window'), '1', 'EX', this.opts.windowSeconds, 'NX')
      // A day past the window: a fingerprint that stops failing does not keep its counter for ever.
      .expire(count, this.opts.windowSeconds + 86_400)
      .exec()) as [[null, number], [null, string | null], [null, number]];
    if (first !== 'OK') return;
    await this.enqueue(
      'admin.alert',
      { fingerprint, source, message: message.slice(0, 1_000), firstSeenAt: new Date().toISOString() },
      { delay: this.opts.delayMs, jobId: `alert-${Date.now()}-${n}-${Buffer.from(fingerprint).toString('base64url').slice(0, 40)}` },
    );
  }

  /** Takes the count gathered so far (and resets it), for the alert being sent now. */
  async take(fingerprint: string): Promise<number> {
    return Number((await this.redis.getdel(this.key(fingerprint, 'count'))) ?? 0);
  }
}
