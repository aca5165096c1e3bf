import type { Knex } from 'knex';
import { AuditEventModel } from './user.model';

export interface AuditInput {
  actor: string;
  action: string;
  subject?: string | null;
  details?: Record<string, unknown>;
  /** Set by job handlers (from domain ids): a retried job records its event once. */
  idempotencyKey?: string;
}

/** The append-only trail of user and operator actions. */
export class AuditRepository {
  constructor(private readonly knex: Knex) {}

  /** Appends an event; returns false when an event with the same idempotency key was already recorded. */
  async record(event: AuditInput): Promise<boolean> {
    const rows = await this.knex('audit_events')
      .insert({
        actor: event.actor,
        action: event.action,
        subject: event.subject ?? null,
        details: JSON.stringify(event.details ?? {}),
        idempotency_key: event.idempotencyKey ?? null,
      })
      .onConflict('idempotency_key')
      .ignore()
      .returning('id');
    return rows.length > 0;
  }

  /** Whether the event kept under `idempotencyKey` was recorded by job `job` (its `details.job`): a retry of that job. */
  async recordedBy(idempotencyKey: string, job: string): Promise<boolean> {
    const row = await this.knex('audit_events').where({ idempotency_key: idempotencyKey }).whereRaw(`details->>'job' = ?`, [job]).first('id');
    return row !== undefined;
  }

  async latest(limit = 20, action?: string): Promise<AuditEventModel[]> {
    const q = AuditEventModel.query(this.knex).orderBy('id', 'desc').limit(limit);
    return action ? await q.where({ action }) : await q;
  }
}
