import type { RepeatOptions } from 'bullmq';
import { catalogue, type JobName, type PayloadInput } from './catalogue';
import type { QueueRegistry } from './queues';

type Kept = { name: JobName; repeat: Omit<RepeatOptions, 'key'>; data: unknown };
/** The schedules each process asked for, by its queue registry: what `restoreSchedules` puts back. */
const kept = new WeakMap<QueueRegistry, Map<JobName, Kept>>();

async function upsert(queues: QueueRegistry, { name, repeat, data }: Kept): Promise<void> {
  const def = catalogue[name];
  await queues.get(def.queue).upsertJobScheduler(name, repeat, { name, data, opts: def.options ?? {} });
}

/**
 * Keeps a catalogue job on a schedule (a BullMQ job scheduler named after the job), with the job's own retry options
 * from the catalogue, as `enqueue()` would apply them; `null` removes the schedule. Every worker of the queue calls
 * it at start: an upsert is idempotent, so there is one job per tick, whoever takes it. The process remembers it, so
 * `restoreSchedules` can put it back if Redis lost it.
 */
export async function schedule<N extends JobName>(queues: QueueRegistry, name: N, repeat: Omit<RepeatOptions, 'key'> | null, data: PayloadInput<N>): Promise<void> {
  const mine = kept.get(queues) ?? new Map<JobName, Kept>();
  kept.set(queues, mine);
  if (!repeat) {
    mine.delete(name);
    await queues.get(catalogue[name].queue).removeJobScheduler(name);
    return;
  }
  const entry: Kept = { name, repeat, data };
  await upsert(queues, entry);
  mine.set(name, entry);
}

/**
 * Puts back the schedules this process keeps that Redis no longer has (flushed, or restored from an older file):
 * without it the sweep, the outbox relay and reconciliation would stop until a worker restarted. A scheduler that
 * exists is left alone (its next run keeps its time). Returns the names restored.
 */
export async function restoreSchedules(queues: QueueRegistry): Promise<JobName[]> {
  const restored: JobName[] = [];
  for (const entry of kept.get(queues)?.values() ?? []) {
    if (await queues.get(catalogue[entry.name].queue).getJobScheduler(entry.name)) continue;
    await upsert(queues, entry);
    restored.push(entry.name);
  }
  return restored;
}
