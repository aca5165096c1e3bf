import type { Knex } from 'knex';
import { AuditEventModel } from './user.model';

export interface AuditInput {
  actor: string;
  action: string;
  subject?: string | null;
  details?: Record<string, unknown>;
}

/** The append-only trail of user and operator actions. */
export class AuditRepository {
  constructor(private readonly knex: Knex) {}

  async record(event: AuditInput): Promise<void> {
    await AuditEventModel.query(this.knex).insert({
      actor: event.actor,
      action: event.action,
      subject: event.subject ?? null,
      details: event.details ?? {},
    });
  }

  async latest(limit = 20, action?: string): Promise<AuditEventModel[]> {
    const q = AuditEventModel.query(this.knex).orderBy('id', 'desc').limit(limit);
    return action ? await q.where({ action }) : await q;
  }
}
