import { UnrecoverableError, type Job } from 'bullmq';
import { ChatUnreachableError, TelegramBadRequestError } from '../adapters/telegram.client';
import { UnknownTemplateError } from '../shared/errors';
import { UnreadableValueError } from '../lib/crypto';
import { waitsOutOutage } from './outage';

/** Errors no retry can fix: the runner fails the job at once (Telegram 400/403, an unknown template, …). */
export function isPermanent(err: unknown): boolean {
  return (
    err instanceof UnrecoverableError ||
    err instanceof TelegramBadRequestError ||
    err instanceof UnknownTemplateError ||
    err instanceof UnreadableValueError ||
    err instanceof ChatUnreachableError
  );
}

/**
 * The worker is shutting down and gave up waiting for this job (its abort signal fired): the job is handed back,
 * not failed — the runner delays it without spending an attempt, so nothing may be settled or told on its behalf.
 */
export function isHandedBack(ctx: { signal?: AbortSignal }): boolean {
  return ctx.signal?.aborted === true;
}

/**
 * Whether the job ends for good if this run throws `err`: a permanent error, or its last attempt — never an outage
 * it is still waiting out (src/jobs/outage.ts), which spends no attempt.
 */
export function isLastTry(err: unknown, job: Job): boolean {
  if (isPermanent(err)) return true;
  if (waitsOutOutage(err, job)) return false;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
