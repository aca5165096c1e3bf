import type { Job, JobsOptions } from 'bullmq';
import type { QueueName } from '../config';
import { Batcher } from '../lib/batcher';
import { catalogue, type JobName, type PayloadInput } from './catalogue';
import { repliesInOrder } from './define';
import type { QueueRegistry } from './queues';

/** A payload that does not match its catalogue schema. Never retried: the data itself is wrong. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  constructor(
    readonly job: string,
    readonly detail: string,
  ) {
    super(`invalid payload for ${job}: ${detail}`);
  }
}

/** Validates `payload` against the catalogue entry of `name`, returning the parsed value. */
export function parsePayload<N extends JobName>(name: N, payload: unknown) {
  const result = catalogue[name].payload.safeParse(payload);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    throw new PayloadError(name, detail);
  }
  return result.data;
}

/** Gives outbound messages their per-chat sequence number (the notifications' chat pacer). */
export interface ChatSequencer {
  /** With `updateId`: the number that update's job reserved, if still free, else a new one. */
  sequence(chatId: number, updateId?: number, jobId?: string): Promise<number>;
  skip(chatId: number, seq: number): Promise<void>;
  /** Reserves the number of the reply to an update, in the chat's line (docs/DELIVERY.md, order across updates). */
  reserve?(chatId: number, updateId: number): Promise<number>;
}

/**
 * A job whose reply keeps its update's place in the chat's line reserves the reply's number as it is queued (the
 * worker releases it if the job ends without sending): see `replyInOrder` in src/jobs/define.ts.
 */
async function reserveReply(name: JobName, data: unknown, sequencer: ChatSequencer | undefined): Promise<void> {
  if (!sequencer?.reserve || !repliesInOrder(catalogue[name])) return;
  const { actor, updateId } = data as { actor?: { chatId: number }; updateId?: number };
  if (actor && typeof updateId === 'number') await sequencer.reserve(actor.chatId, updateId);
}

/**
 * The sequence number stored with a notifications job, read back from Redis: BullMQ answers an add whose job id
 * exists with a Job built from the data it was GIVEN, not the data it kept, so a duplicate only shows here.
 * `undefined`: the job is gone (done and removed) or has no number.
 */
async function storedSeq(queues: QueueRegistry, jobId: string): Promise<number | undefined> {
  const job = await queues.get('notifications').getJob(jobId);
  return (job?.data as { seq?: number } | undefined)?.seq;
}

/**
 * `message.send` and `message.edit` get their chat's next sequence number. With a job id of its own the message may
 * exist already (a retried producer: the same reply, the same "working…" message): then the number just taken will
 * never be sent, and the chat is told to skip it — otherwise the chat's line would wait CHAT_STALL_MS for it.
 */
async function sequenced(
  name: JobName,
  data: unknown,
  sequencer: ChatSequencer | undefined,
  queues: QueueRegistry,
  jobId: string | undefined,
  add: (data: unknown) => Promise<Job>,
): Promise<Job> {
  if ((name !== 'message.send' && name !== 'message.edit') || !sequencer) {
    // Alongside the add, not before it (a round trip saved on the hot path). Should the job reply before its
    // reservation lands, the reply takes a new number, still after every earlier update's (the chat's next update is
    // admitted only once this enqueue resolved), and the unused reservation is released when the job ends (a job that
    // ran its whole course, Postgres included, within that one round trip would leave it to CHAT_REPLY_WAIT_MS). A failed
    // reservation fails the enqueue: the update comes again (the add is then a duplicate, the reservation the same).
    const [, job] = await Promise.all([reserveReply(name, data, sequencer), add(data)]);
    return job;
  }
  const payload = data as { chatId: number; seq?: number; updateId?: number };
  // A message sent for an update takes the number its job reserved (edits follow what they edit: a new number).
  const seq = payload.seq ?? (await sequencer.sequence(payload.chatId, name === 'message.send' ? payload.updateId : undefined, jobId));
  const job = await add({ ...payload, seq });
  if (jobId !== undefined) {
    const kept = await storedSeq(queues, job.id!);
    if (kept !== undefined && kept !== seq) await sequencer.skip(payload.chatId, seq);
  }
  return job;
}

/**
 * Job ids are often built from domain keys (`low-balance-hold:avatar:1:2`); BullMQ refuses `:` in custom ids (it
 * separates its Redis key parts), so it becomes `.` — one rule for every producer.
 */
export function safeJobId(jobId: string): string {
  return jobId.includes(':') ? jobId.replace(/:/g, '.') : jobId;
}

function withSafeJobId(defaults: JobsOptions | undefined, options: JobsOptions | undefined): JobsOptions {
  const merged = { ...defaults, ...options };
  if (merged.jobId) merged.jobId = safeJobId(merged.jobId);
  return merged;
}

export interface EnqueueOptions extends JobsOptions {
  /**
   * The outbox row this job relays (src/jobs/outbox.ts): kept in the job's data as `_outbox`, so the worker closes
   * the row when the job completes.
   */
  outboxId?: number;
}

export type Enqueue = <N extends JobName>(name: N, payload: PayloadInput<N>, options?: EnqueueOptions) => Promise<Job>;

/** The parsed payload, with the outbox mark when the job relays an outbox row. */
function marked(data: unknown, outboxId: number | undefined): unknown {
  return outboxId === undefined ? data : { ...(data as object), _outbox: outboxId };
}

/** The typed producer: `enqueue('message.send', {...})` fails to compile with a wrong payload and throws on a bad one. */
export function createEnqueue(queues: QueueRegistry, sequencer?: ChatSequencer): Enqueue {
  return async (name, payload, options) => {
    const def = catalogue[name];
    const { outboxId, ...jobOptions } = options ?? {};
    const data = marked(parsePayload(name, payload), outboxId);
    const opts = withSafeJobId(def.options, jobOptions);
    return sequenced(name, data, sequencer, queues, opts.jobId, (d) => queues.get(def.queue).add(name, d, opts));
  };
}

/**
 * The same contract as `createEnqueue`, but jobs enqueued in the same turn of the event loop go to Redis in one
 * `addBulk` per queue. The bot uses it: a batch of updates becomes one round trip instead of one per update.
 */
export function createBatchedEnqueue(queues: QueueRegistry, sequencer?: ChatSequencer): Enqueue {
  const batchers = new Map<QueueName, Batcher<{ name: string; data: unknown; opts?: JobsOptions }, Job>>();
  return async (name, payload, options) => {
    const def = catalogue[name];
    const { outboxId, ...jobOptions } = options ?? {};
    const data = marked(parsePayload(name, payload), outboxId);
    let batcher = batchers.get(def.queue);
    if (!batcher) {
      const queue = queues.get(def.queue);
      batcher = new Batcher((items) => queue.addBulk(items));
      batchers.set(def.queue, batcher);
    }
    const b = batcher;
    const opts = withSafeJobId(def.options, jobOptions);
    return sequenced(name, data, sequencer, queues, opts.jobId, (d) => b.call({ name, data: d, opts }));
  };
}
