import type { Knex } from 'knex';

/** Jobs run at least once: an audit event written by a retried job must not appear twice. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.text('idempotency_key').unique();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropColumn('idempotency_key');
  });
}
