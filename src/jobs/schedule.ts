import type { RepeatOptions } from 'bullmq';
import { catalogue, type JobName, type PayloadInput } from './catalogue';
import type { QueueRegistry } from './queues';

/**
 * Keeps a catalogue job on a schedule (a BullMQ job scheduler named after the job), with the job's own retry options
 * from the catalogue, as `enqueue()` would apply them; `null` removes the schedule. Every worker of the queue calls
 * it at start: an upsert is idempotent, so there is one job per tick, whoever takes it.
 */
export async function schedule<N extends JobName>(queues: QueueRegistry, name: N, repeat: Omit<RepeatOptions, 'key'> | null, data: PayloadInput<N>): Promise<void> {
  const def = catalogue[name];
  const queue = queues.get(def.queue);
  if (!repeat) {
    await queue.removeJobScheduler(name);
    return;
  }
  await queue.upsertJobScheduler(name, repeat, { name, data, opts: def.options ?? {} });
}
