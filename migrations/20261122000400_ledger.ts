import type { Knex } from 'knex';

/** Coins: an append-only ledger with one idempotency key per entry, and a cached balance that can never go below 0. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ledger_entries', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('RESTRICT');
    t.text('kind').notNullable();
    // Signed coins: credits positive, debits negative; a capture moves no coins (the hold already did).
    t.bigInteger('amount').notNullable();
    t.text('idempotency_key').notNullable().unique();
    t.text('reference');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'id']);
    t.check("kind IN ('bonus', 'topup', 'hold', 'capture', 'release', 'refund', 'grant', 'debit')", [], 'ledger_entries_kind_check');
  });
  await knex.schema.createTable('balances', (t) => {
    t.bigInteger('user_id').primary().references('users.id').onDelete('RESTRICT');
    t.bigInteger('coins').notNullable().defaultTo(0);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check('coins >= 0', [], 'balances_coins_non_negative');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('balances');
  await knex.schema.dropTable('ledger_entries');
}
