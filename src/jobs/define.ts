import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import type { QueueName } from '../config';

/** One catalogue entry: where a job runs, what its payload must look like, how it retries. */
export interface JobDefinition<Q extends QueueName = QueueName, S extends z.ZodType = z.ZodType> {
  queue: Q;
  /** Validated by `enqueue()` and again by the worker before the handler runs. */
  payload: S;
  /** Merged over the queue-wide defaults below. */
  options?: JobsOptions;
  /** One line for operators (shown in docs/JOBS.md and in logs). */
  description: string;
  /**
   * For jobs with an `actor`: `register` (the default) registers or refreshes the user in Postgres before the handler
   * and skips the job for a banned user; `banned-too` registers but runs for a banned user as well (money received
   * is never dropped: a payment); `none` neither registers nor checks (the pre-checkout answer, which must not wait
   * for Postgres: docs/RELIABILITY.md).
   */
  actorPolicy?: 'register' | 'banned-too' | 'none';
  /**
   * Order across updates (docs/DELIVERY.md): the reply to the update keeps the update's place in its chat's line,
   * whichever job finishes first. Its number is reserved when the job is queued and taken by the job's first
   * message; a job that ends without sending gives it up. Default: the `interactive` queue's jobs; heavy work
   * (avatars, transcripts) answers when it is done, so a slow job never holds a quick reply back. A job of another
   * queue that answers a user's update says so itself (`payment.completed`, `admin.command` on `billing`).
   */
  replyInOrder?: boolean;
}

/** Whether a job's reply keeps its update's place in the chat's line (`replyInOrder`, by default the interactive queue's). */
export function repliesInOrder(def: JobDefinition): boolean {
  return def.replyInOrder ?? def.queue === 'interactive';
}

export function defineJob<Q extends QueueName, S extends z.ZodType>(def: JobDefinition<Q, S>): JobDefinition<Q, S> {
  return def;
}

/**
 * Defaults for every job: a handful of attempts with exponential backoff and jitter (so a fleet of retries does
 * not arrive in lock-step), and bounded history so Redis does not grow without limit.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
};
