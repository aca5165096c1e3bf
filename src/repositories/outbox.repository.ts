import type { Knex } from 'knex';

/** One job to relay, as stored: the queue and job id it gets (already safe for BullMQ), its name and payload. */
export interface OutboxInsert {
  queue: string;
  jobId: string;
  name: string;
  payload: unknown;
}

export interface OutboxRow extends OutboxInsert {
  id: number;
  source: string | null;
  relays: number;
  relayedAt: Date | null;
}

export type OutboxOutcome = 'completed' | 'failed' | 'abandoned';

const toRow = (r: Record<string, unknown>): OutboxRow => ({
  id: Number(r.id),
  queue: String(r.queue),
  jobId: String(r.job_id),
  name: String(r.name),
  payload: r.payload,
  source: (r.source as string | null) ?? null,
  relays: Number(r.relays),
  relayedAt: (r.relayed_at as Date | null) ?? null,
});

/**
 * The transactional outbox (migrations/20261207000200_outbox.ts). Rows are written with the commit they follow —
 * inside its statement (`cte`) or its transaction (`add`) — and are idempotent by (queue, job id).
 */
export class OutboxRepository {
  constructor(private readonly knex: Knex) {}

  /**
   * A CTE (`outbox_rows AS (…),`) that writes the rows when `gate` returned a row: placed in a posting statement
   * (HoldsRepository.settle) the effects commit with the capture or not at all.
   */
  cte(rows: OutboxInsert[], source: string): { sql: string; bindings: unknown[] } {
    return {
      sql: `outbox_rows AS (
        INSERT INTO outbox (queue, job_id, name, payload, source)
        SELECT r.queue, r.job_id, r.name, r.payload, ?::text FROM gate, jsonb_to_recordset(?::jsonb) AS r(queue text, job_id text, name text, payload jsonb)
        ON CONFLICT (queue, job_id) DO NOTHING
      ),`,
      bindings: [source, JSON.stringify(rows.map((r) => ({ queue: r.queue, job_id: r.jobId, name: r.name, payload: r.payload })))],
    };
  }

  /** Writes the rows in `db` (the transaction of the commit they follow). Repeats change nothing. */
  async add(db: Knex | Knex.Transaction, rows: OutboxInsert[], source: string): Promise<void> {
    if (!rows.length) return;
    await db('outbox')
      .insert(rows.map((r) => ({ queue: r.queue, job_id: r.jobId, name: r.name, payload: JSON.stringify(r.payload), source })))
      .onConflict(['queue', 'job_id'])
      .ignore();
  }

  /** The open rows among these (queue, job id) pairs: what a run that just committed must relay. */
  async open(keys: { queue: string; jobId: string }[]): Promise<OutboxRow[]> {
    if (!keys.length) return [];
    const rows = await this.knex('outbox')
      .whereNull('done_at')
      .whereIn(['queue', 'job_id'], keys.map((k) => [k.queue, k.jobId]))
      .orderBy('id');
    return rows.map(toRow);
  }

  /** Rows committed more than `seconds` ago and never relayed: the process died between its commit and the relay. */
  async unrelayed(seconds: number, limit = 500): Promise<OutboxRow[]> {
    const rows = await this.knex('outbox')
      .whereNull('done_at')
      .whereNull('relayed_at')
      .andWhere('created_at', '<', this.knex.raw(`now() - make_interval(secs => ?)`, [seconds]))
      .orderBy('id')
      .limit(limit);
    return rows.map(toRow);
  }

  /** Rows relayed more than `seconds` ago whose job has not completed: the sweep asks BullMQ about each. */
  async unconfirmed(seconds: number, limit = 500): Promise<OutboxRow[]> {
    const rows = await this.knex('outbox')
      .whereNull('done_at')
      .whereNotNull('relayed_at')
      .andWhere('relayed_at', '<', this.knex.raw(`now() - make_interval(secs => ?)`, [seconds]))
      .orderBy('id')
      .limit(limit);
    return rows.map(toRow);
  }

  async markRelayed(ids: number[]): Promise<void> {
    if (!ids.length) return;
    await this.knex('outbox').whereIn('id', ids).update({ relayed_at: this.knex.fn.now(), relays: this.knex.raw('relays + 1') });
  }

  /** The row's job ran its course. Only the first call counts. */
  async done(id: number, outcome: OutboxOutcome): Promise<void> {
    await this.knex('outbox').where({ id }).whereNull('done_at').update({ done_at: this.knex.fn.now(), outcome });
  }

  /** Open rows, for /stats and the fault suite's invariants. */
  async countOpen(): Promise<number> {
    const row = await this.knex('outbox').whereNull('done_at').count<{ n: string }[]>({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /** Deletes rows done more than `days` ago (the retention prune); returns how many. */
  async prune(days: number): Promise<number> {
    return this.knex('outbox').whereNotNull('done_at').andWhere('done_at', '<', this.knex.raw(`now() - make_interval(days => ?)`, [days])).delete();
  }
}
