import { DelayedError, UnrecoverableError, Worker, type Job, type Processor } from 'bullmq';
import { queuePrefix, type RedisClient } from '../lib/redis';
import { TelegramRateLimitError } from '../adapters/telegram.client';
import type { QueueName } from '../config';
import { redact, traced, type Logger, type TraceContext } from '../lib/logger';
import { catalogue, isJobName, JOB_NAMES, type JobName } from './catalogue';
import { parsePayload, PayloadError } from './enqueue';
import { isPermanent } from './failures';
import { outageDelayMs, outageMark, waitsOutOutage } from './outage';
import { outboxIdOf } from './outbox';
import { releaseReply } from './reply-order';
import type { Handler, JobContext, QueueWorkerDefinition, WorkerDeps } from './handler.types';
import type { Actor } from './payloads';

/** After in-flight jobs were told to stop at shutdown: how long they get to hand themselves back. */
const HAND_BACK_MS = 2_000;

export class HandlerRegistryError extends Error {
  override readonly name = 'HandlerRegistryError';
}

/**
 * Every catalogue job must have exactly one handler, registered by the worker of the job's own queue.
 * Checked over ALL worker definitions at start-up, whatever subset this process runs, so a gap is caught anywhere.
 */
export function buildHandlerTable(defs: QueueWorkerDefinition[], deps: WorkerDeps): Map<JobName, Handler<never>> {
  const table = new Map<JobName, Handler<never>>();
  const problems: string[] = [];
  for (const def of defs) {
    for (const [name, handler] of Object.entries(def.handlers(deps))) {
      if (!isJobName(name)) problems.push(`handler for "${name}" which is not in the catalogue`);
      else if (table.has(name)) problems.push(`two handlers for "${name}"`);
      else if (catalogue[name].queue !== def.queue) problems.push(`"${name}" belongs to queue ${catalogue[name].queue}, not ${def.queue}`);
      else table.set(name, handler as Handler<never>);
    }
  }
  for (const name of JOB_NAMES) if (!table.has(name) && !problems.some((p) => p.includes(`"${name}"`))) problems.push(`no handler for "${name}"`);
  if (problems.length) throw new HandlerRegistryError(`job handlers do not match the catalogue: ${problems.join('; ')}`);
  return table;
}

function traceOf(job: Job): TraceContext {
  const data = (job.data ?? {}) as { updateId?: number; actor?: { telegramId?: number }; chatId?: number };
  return {
    job_id: job.id,
    queue: job.queueName,
    job: job.name,
    update_id: typeof data.updateId === 'number' ? data.updateId : undefined,
    user_id: data.actor?.telegramId ?? (typeof data.chatId === 'number' ? data.chatId : undefined),
  };
}

export type JobStateName = 'waiting' | 'delayed' | 'retrying' | 'active' | 'completed' | 'failed';

/**
 * One line per job state change (docs/OBSERVABILITY.md, transition logs): `job state` with from → to and the
 * job's trace ids. Skipped cheaply when `info` or LOG_JOB_STATES is off.
 */
export function logJobState(deps: Pick<WorkerDeps, 'log' | 'config'>, job: Job, from: JobStateName, to: JobStateName, extra?: Record<string, unknown>): void {
  const { log, config } = deps;
  if (config.LOG_JOB_STATES === 'off' || !log.isInfoEnabled()) return;
  log.info('job state', { ...traceOf(job), from, to, attempt: job.attemptsMade + (to === 'active' ? 1 : 0), ...extra });
}

/** Where a job came from when a worker takes it: a retry, a delay of its own or of an outage, or the queue. */
function previousState(job: Job): JobStateName {
  if (job.attemptsMade > 0) return 'retrying';
  // `delay` is set by moveToDelayed too (an outage wait, a chat's turn, Telegram's 429), not only by the producer.
  return Number(job.delay) > 0 || job.opts.delay || outageMark(job) ? 'delayed' : 'waiting';
}

/** The processor every queue runs: re-validate, register the actor, run the handler, sort its errors. */
export function createProcessor(table: Map<JobName, Handler<never>>, deps: WorkerDeps): Processor {
  return async (job, token, signal) => {
      logJobState(deps, job, previousState(job), 'active');
      // The traced child logger is built only when something logs: most jobs never do.
      let log: Logger | undefined;
      const ctx: JobContext = {
        job,
        token,
        signal,
        get log() {
          return (log ??= traced(deps.log, traceOf(job)));
        },
      };
      const handler = isJobName(job.name) ? table.get(job.name) : undefined;
      if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${job.queueName}`);
      let payload: unknown;
      try {
        payload = parsePayload(job.name as JobName, job.data);
      } catch (err) {
        if (err instanceof PayloadError) throw new UnrecoverableError(err.message);
        throw err;
      }
      try {
        const actor = (payload as { actor?: Actor }).actor;
        const policy = catalogue[job.name as JobName].actorPolicy ?? 'register';
        let result: unknown;
        if (actor && policy !== 'none') {
          const { user, created, balance } = await deps.users.ensure(actor, deps.config.ADMIN_IDS.includes(actor.telegramId));
          if (user.status === 'banned' && policy !== 'banned-too') {
            ctx.log.info('job skipped: user is banned');
            result = { skipped: 'banned' };
          }
          ctx.user = user;
          ctx.userCreated = created;
          ctx.balance = balance;
        }
        result ??= await (handler as Handler<JobName>)(payload as never, ctx);
        await releaseReply(job, deps, ctx.log);
        // A job relayed from the outbox closes its row: it ran its course, the sweep need not relay it again. (A
        // failure here retries the job; the handler's own receipts and keys make the repeat harmless.)
        const outboxId = outboxIdOf(job);
        if (outboxId !== undefined) await deps.outbox.done(outboxId, 'completed');
        return result;
      } catch (err) {
        if (err instanceof DelayedError) logJobState(deps, job, 'active', 'delayed', { reason: 'handler' });
        if (signal?.aborted && !(err instanceof DelayedError)) {
          // Shutdown gave up on this job: hand it back (a short delay, no attempt spent) for another worker. If Redis
          // is already gone, its lock lapses and stalled-job recovery hands it back instead.
          await job.moveToDelayed(Date.now() + 1_000, token).catch(() => undefined);
          logJobState(deps, job, 'active', 'delayed', { reason: 'shutdown' });
          throw new DelayedError();
        }
        if (err instanceof TelegramRateLimitError) {
          // Telegram asked for a pause (a handler other than message.send, which pauses only its chat): this job
          // waits retry_after without spending an attempt.
          await job.moveToDelayed(Date.now() + err.retryAfterSeconds * 1_000, token);
          logJobState(deps, job, 'active', 'delayed', { reason: 'telegram_429' });
          throw new DelayedError();
        }
        if (!(err instanceof DelayedError) && waitsOutOutage(err, job)) await waitOutOutage(job, token, err, ctx, deps);
        if (isPermanent(err) && !(err instanceof UnrecoverableError)) throw new UnrecoverableError((err as Error).message);
        throw err;
      }
  };
}

/**
 * A dependency is away (src/jobs/outage.ts): the job comes back later without spending an attempt, until its outage
 * budget is spent. The first wait is logged and counted; the mark in the job's data carries the deadline.
 */
async function waitOutOutage(job: Job, token: string | undefined, err: unknown, ctx: JobContext, deps: WorkerDeps): Promise<never> {
  const now = Date.now();
  const mark = outageMark(job) ?? { until: now + deps.config.OUTAGE_BUDGET_MINUTES * 60_000, waits: 0 };
  if (mark.waits === 0) {
    ctx.log.warn('a dependency is unreachable; the job waits for it without spending an attempt', {
      error: redact(err instanceof Error ? err.message : String(err)), until: new Date(mark.until).toISOString(),
    });
  }
  deps.metrics.inc('switchyard_jobs_total', { queue: job.queueName, name: job.name, outcome: 'outage_wait' });
  await job.updateData({ ...job.data, _outage: { until: mark.until, waits: mark.waits + 1 } });
  await job.moveToDelayed(now + outageDelayMs(mark.waits), token);
  logJobState(deps, job, 'active', 'delayed', { reason: 'outage' });
  throw new DelayedError();
}

export interface RunningWorkers {
  workers: Worker[];
  /** Stops taking jobs, waits up to `timeoutMs` for in-flight ones, then hands the rest back to the queue. */
  close(timeoutMs: number): Promise<void>;
}

/** Starts one BullMQ Worker per selected queue. Connections are the caller's to close afterwards. */
export function startWorkers(
  defs: QueueWorkerDefinition[],
  queues: readonly QueueName[],
  deps: WorkerDeps,
  connection: RedisClient,
  prefix: string,
): RunningWorkers {
  const table = buildHandlerTable(defs, deps);
  const workers: Worker[] = [];
  for (const def of defs.filter((d) => queues.includes(d.queue))) {
    const worker = new Worker(def.queue, createProcessor(table, deps), {
      connection,
      prefix: queuePrefix(connection, prefix, def.queue),
      concurrency: def.concurrency(deps.config),
      // A limiter is also what makes worker.rateLimit() (Telegram's 429) hold the queue across replicas.
      limiter: def.limiter?.(deps.config),
      // Stalled-job recovery: a job whose worker died is handed to another once its lock (JOB_LOCK_MS) lapsed,
      // at most JOB_MAX_STALLS times; the checker runs as often as the lock lasts.
      lockDuration: deps.config.JOB_LOCK_MS,
      stalledInterval: deps.config.JOB_LOCK_MS,
      maxStalledCount: deps.config.JOB_MAX_STALLS,
      // `backoff: { type: '<queue>' }` in a job's options: the queue's own retry delays, which may come from config.
      settings: def.backoff ? { backoffStrategy: (attemptsMade: number) => def.backoff!(deps.config, attemptsMade) } : undefined,
    });
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      deps.metrics.inc('switchyard_jobs_total', { queue: def.queue, name: job.name, outcome: final ? 'failed' : 'retried' });
      // Alerts about alert delivery itself would feed on themselves.
      if (final && job.name !== 'admin.alert' && !String(job.id).startsWith('alert-')) {
        deps.alerts.report(`${def.queue}/${job.name}`, `job failed for good: ${err.message}`).catch((e: Error) =>
          deps.log.error('could not report a failure to the admins', { error: e.message }),
        );
      }
      // Failed for good (its last attempt, unrecoverable, a bad payload, or stalled too often): the job gives its
      // reply's place in line up. A job done gives it up in the processor.
      if (final) void releaseReply(job, deps, deps.log);
      logJobState(deps, job, 'active', final ? 'failed' : 'retrying', { error: err.message });
      deps.log.log(final ? 'error' : 'warn', final ? 'job failed for good' : 'job failed, will retry', {
        ...traceOf(job),
        attempt: job.attemptsMade,
        error: err.message,
      });
    });
    worker.on('completed', (job) => {
      logJobState(deps, job, 'active', 'completed');
      deps.metrics.inc('switchyard_jobs_total', { queue: def.queue, name: job.name, outcome: 'completed' });
      if (job.processedOn && job.finishedOn) {
        deps.metrics.observe('switchyard_job_duration_seconds', { queue: def.queue, name: job.name }, (job.finishedOn - job.processedOn) / 1000);
      }
    });
    if (deps.log.isDebugEnabled()) {
      worker.on('completed', (job) => deps.log.debug('job completed', { ...traceOf(job), ms: (job.finishedOn ?? 0) - (job.processedOn ?? 0) }));
    }
    worker.on('error', (err) => deps.log.error('worker error', { queue: def.queue, error: err.message }));
    workers.push(worker);
  }
  return {
    workers,
    async close(timeoutMs) {
      await Promise.all(
        workers.map(async (w) => {
          let timer: NodeJS.Timeout | undefined;
          const graceful = w.close().then(() => true);
          const expired = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
          const done = await Promise.race([graceful, expired]);
          clearTimeout(timer);
          if (!done) {
            // Past the bound: signal handlers that honour the abort signal and stop waiting (BullMQ caches the
            // first close(), so close(true) would only wait again). The caller then closes the connections;
            // the unfinished jobs' locks lapse and stalled-job recovery hands them to another worker.
            w.cancelAllJobs('worker shutting down');
            deps.log.warn('in-flight jobs did not finish in time; handing them back', { queue: w.name, ms: timeoutMs });
            // Handlers that honour the signal hand their job back at once (the processor delays it): give them a
            // moment to do so while the connections are still open.
            await Promise.race([graceful, new Promise((r) => setTimeout(r, HAND_BACK_MS).unref())]);
          }
        }),
      );
    },
  };
}
