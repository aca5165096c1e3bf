import type { Job } from 'bullmq';
import { redact, type Logger } from '../lib/logger';
import { catalogue, isJobName } from './catalogue';
import { repliesInOrder } from './define';
import type { WorkerDeps } from './handler.types';

/**
 * Order across updates (docs/DELIVERY.md): a job whose reply number was reserved when it was queued gives the
 * number up when it ends — done, or failed for good — without having taken it, so the chat's later messages do not
 * wait CHAT_STALL_MS for it. A number already taken is left alone (one Redis call either way).
 */
export async function releaseReply(job: Job, deps: Pick<WorkerDeps, 'pacer' | 'queues'>, log: Logger): Promise<void> {
  if (!isJobName(job.name) || !repliesInOrder(catalogue[job.name])) return;
  const { actor, updateId } = (job.data ?? {}) as { actor?: { chatId?: unknown }; updateId?: unknown };
  if (typeof actor?.chatId !== 'number' || typeof updateId !== 'number') return;
  try {
    const waiting = await deps.pacer.release(actor.chatId, updateId);
    if (waiting) await (await deps.queues.get('notifications').getJob(waiting))?.promote().catch(() => undefined);
  } catch (err) {
    // The line then moves on after CHAT_STALL_MS instead.
    log.warn('could not release the reply number of the job', { error: redact(err instanceof Error ? err.message : String(err)) });
  }
}

