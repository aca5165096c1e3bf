import type { Job, JobsOptions } from 'bullmq';
import type { QueueName } from '../config';
import { Batcher } from '../lib/batcher';
import { catalogue, type JobName, type PayloadInput } from './catalogue';
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
  sequence(chatId: number): Promise<number>;
  skip(chatId: number, seq: number): Promise<void>;
}

/**
 * `message.send` and `message.edit` get their chat's next sequence number; if BullMQ answers with an existing job of the same id (a
 * retried producer), that number will never be sent, so the chat is told to skip it.
 */
async function sequenced(name: JobName, data: unknown, sequencer: ChatSequencer | undefined, add: (data: unknown) => Promise<Job>): Promise<Job> {
  if ((name !== 'message.send' && name !== 'message.edit') || !sequencer) return add(data);
  const payload = data as { chatId: number; seq?: number };
  const seq = payload.seq ?? (await sequencer.sequence(payload.chatId));
  const job = await add({ ...payload, seq });
  if ((job.data as { seq?: number }).seq !== seq) await sequencer.skip(payload.chatId, seq);
  return job;
}

/**
 * Job ids are often built from domain keys (`low-balance-hold:avatar:1:2`); BullMQ refuses `:` in custom ids (it
 * separates its Redis key parts), so it becomes `.` — one rule for every producer.
 */
function withSafeJobId(defaults: JobsOptions | undefined, options: JobsOptions | undefined): JobsOptions {
  const merged = { ...defaults, ...options };
  if (merged.jobId?.includes(':')) merged.jobId = merged.jobId.replace(/:/g, '.');
  return merged;
}

export type Enqueue = <N extends JobName>(name: N, payload: PayloadInput<N>, options?: JobsOptions) => Promise<Job>;

/** The typed producer: `enqueue('message.send', {...})` fails to compile with a wrong payload and throws on a bad one. */
export function createEnqueue(queues: QueueRegistry, sequencer?: ChatSequencer): Enqueue {
  return async (name, payload, options) => {
    const def = catalogue[name];
    const data = parsePayload(name, payload);
    return sequenced(name, data, sequencer, (d) => queues.get(def.queue).add(name, d, withSafeJobId(def.options, options)));
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
    const data = parsePayload(name, payload);
    let batcher = batchers.get(def.queue);
    if (!batcher) {
      const queue = queues.get(def.queue);
      batcher = new Batcher((items) => queue.addBulk(items));
      batchers.set(def.queue, batcher);
    }
    const b = batcher;
    return sequenced(name, data, sequencer, (d) => b.call({ name, data: d, opts: withSafeJobId(def.options, options) }));
  };
}
