import type { Job } from 'bullmq';
import type { OutboxInsert, OutboxRepository, OutboxRow } from '../repositories/outbox.repository';
import { catalogue, type JobName, type PayloadInput } from './catalogue';
import { parsePayload, safeJobId, type Enqueue } from './enqueue';

/** A job that must follow a commit: written with the commit (the outbox), then relayed to its queue. */
export type Effect = { [N in JobName]: { name: N; payload: PayloadInput<N>; jobId: string } }[JobName];

export function effect<N extends JobName>(name: N, payload: PayloadInput<N>, jobId: string): Effect {
  return { name, payload, jobId } as Effect;
}

/** The rows to store: validated now (a bad payload fails the commit, not the relay), with BullMQ-safe job ids. */
export function outboxRows(effects: readonly Effect[]): OutboxInsert[] {
  return effects.map((e) => ({ queue: catalogue[e.name].queue, jobId: safeJobId(e.jobId), name: e.name, payload: parsePayload(e.name, e.payload) }));
}

/** The mark a relayed job carries in its data: the worker closes the row when the job completes. */
export function outboxIdOf(job: Job): number | undefined {
  const id = (job.data as { _outbox?: unknown } | undefined)?._outbox;
  return typeof id === 'number' ? id : undefined;
}

/**
 * Queues each row's job under its own id (a repeat while the job exists adds nothing) and marks the rows relayed.
 * Returns how many were relayed.
 */
export async function relayRows(deps: { enqueue: Enqueue; outbox: OutboxRepository }, rows: readonly OutboxRow[]): Promise<number> {
  if (!rows.length) return 0;
  for (const row of rows) {
    await deps.enqueue(row.name as JobName, row.payload as never, { jobId: row.jobId, outboxId: row.id });
  }
  await deps.outbox.markRelayed(rows.map((r) => r.id));
  return rows.length;
}

/** After the commit that wrote `effects`: relays those of them still open (just written, or by an earlier run). */
export async function relayEffects(deps: { enqueue: Enqueue; outbox: OutboxRepository }, effects: readonly Effect[]): Promise<number> {
  const keys = outboxRows(effects).map((r) => ({ queue: r.queue, jobId: r.jobId }));
  return relayRows(deps, await deps.outbox.open(keys));
}
