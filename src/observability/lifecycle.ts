import os from 'node:os';
import type { RedisClient } from '../lib/redis';
import type { Config } from '../config';
import { redact, type Logger } from '../lib/logger';
import { sourceVersion } from '../lib/version';
import { AdminAlerts, type EnqueueAlert } from './admin-alerts';

/** A crash loop is one notice a minute, with a count: the alert window of these notices. */
export const LIFECYCLE_WINDOW_SECONDS = 60;
/** How long the first notice of a window waits for repeats (a loop's restarts) before it goes out. */
export const LIFECYCLE_DELAY_MS = 10_000;

/**
 * Start, stop and crash notices to the admins on Telegram: `bot started on host-1 · version 3f2a…`, `worker stopped
 * … : SIGTERM`, `web crashed … : <the error's first line>`. They are admin alerts (an `admin.alert` job, then a
 * `message.send` per admin on the notifications queue), folded per text and minute: a process that crashes and is
 * restarted ten times in a minute is one "crashed" and one "started" notice, each with ×10.
 */
export class Lifecycle {
  private readonly alerts: AdminAlerts;
  private readonly where = `on ${os.hostname()} · version ${sourceVersion()}`;

  constructor(
    redis: RedisClient,
    prefix: string,
    enqueue: EnqueueAlert,
    private readonly kind: string,
    private readonly config: Pick<Config, 'LIFECYCLE_NOTICES' | 'ADMIN_IDS' | 'ALERT_DELAY_MS'>,
    private readonly log: Logger,
  ) {
    // A shorter ALERT_DELAY_MS (tests, impatient operators) shortens this wait too.
    const delayMs = Math.min(LIFECYCLE_DELAY_MS, config.ALERT_DELAY_MS);
    this.alerts = new AdminAlerts(redis, prefix, enqueue, { windowSeconds: LIFECYCLE_WINDOW_SECONDS, delayMs });
  }

  started(): Promise<void> {
    return this.notice('started');
  }

  /** `reason`: the signal (SIGTERM, SIGINT). */
  stopped(reason: string): Promise<void> {
    return this.notice('stopped', reason);
  }

  crashed(err: unknown): Promise<void> {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
    return this.notice('crashed', redact(first));
  }

  private async notice(event: string, reason?: string): Promise<void> {
    if (this.config.LIFECYCLE_NOTICES === 'off' || this.config.ADMIN_IDS.length === 0) return;
    const message = `${this.kind} ${event} ${this.where}${reason ? `: ${reason}` : ''}`;
    // Bounded: a process on its way down must not hang on Redis.
    const timeout = new Promise<void>((r) => setTimeout(r, 2_000).unref());
    await Promise.race([this.alerts.report(`lifecycle/${this.kind}`, message), timeout]).catch((err: Error) =>
      this.log.warn('lifecycle notice not queued', { event, error: err.message }),
    );
  }
}
