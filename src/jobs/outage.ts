import type { Job } from 'bullmq';
import { isOutage } from '../lib/outage';

/**
 * Outages are waited out, not failed. A job whose run failed because a dependency could not be reached — Postgres,
 * Redis or Telegram refusing or dropping the connection, timing out, or answering 5xx — waits (delayed, no attempt
 * spent) until the dependency is back, for up to OUTAGE_BUDGET_MINUTES from the first such failure; then its
 * attempts count again. The deadline lives in the job's data (`_outage`), so it survives the worker. Real errors
 * (a bad request, a bug) still spend attempts as before. See docs/RELIABILITY.md. What counts as an outage is
 * src/lib/outage.ts's (the Telegram adapter asks it too).
 */

/** What a job's data remembers of an outage it is waiting out. */
export interface OutageMark {
  /** Epoch ms after which the attempts count again. */
  until: number;
  /** How often it has waited (the next wait's length grows with it). */
  waits: number;
}

export function outageMark(job: Pick<Job, 'data'>): OutageMark | undefined {
  const mark = (job.data as { _outage?: OutageMark } | undefined)?._outage;
  return mark && typeof mark.until === 'number' ? mark : undefined;
}

/** True when this failure is an outage the job may still wait out (its budget not spent): no attempt is spent. */
export function waitsOutOutage(err: unknown, job: Pick<Job, 'data'>, now = Date.now()): boolean {
  if (!isOutage(err)) return false;
  const mark = outageMark(job);
  return mark === undefined || now < mark.until;
}

/** How long to wait before the next look: 1 s, 2 s, 4 s … up to 15 s, with jitter so a fleet does not return at once. */
export function outageDelayMs(waits: number, random = Math.random): number {
  const base = Math.min(15_000, 1_000 * 2 ** Math.min(waits, 4));
  return Math.round(base * (0.75 + random() * 0.5));
}
