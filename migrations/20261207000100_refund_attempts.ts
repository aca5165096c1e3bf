import type { Knex } from 'knex';

/**
 * Refunds as a state machine that can be retried from any state: each attempt has its number, so the coins it takes
 * (`refund:<charge>[:<n>]`) and gives back when Telegram refuses (`refund-undo:<charge>[:<n>]`) are that attempt's
 * own ledger entries; a refund left in `refunding` is found by the sweep through `refund_started_at`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('payments', (t) => {
    t.integer('refund_attempts').notNullable().defaultTo(0);
    t.timestamp('refund_started_at', { useTz: true });
  });
  // Payments written before this migration that were stranded in `refunding` count as attempt 1 (their entry's key).
  await knex('payments').where({ status: 'refunding' }).update({ refund_attempts: 1, refund_started_at: knex.fn.now() });
  await knex.raw(`CREATE INDEX payments_refunding ON payments (refund_started_at) WHERE status = 'refunding'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS payments_refunding');
  await knex.schema.alterTable('payments', (t) => {
    t.dropColumn('refund_started_at');
    t.dropColumn('refund_attempts');
  });
}
