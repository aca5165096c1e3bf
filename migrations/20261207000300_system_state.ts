import type { Knex } from 'knex';

/** Small named values the platform keeps between runs (the reconciliation's cursor into Telegram's Star transactions). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('system_state', (t) => {
    t.text('key').primary();
    t.jsonb('value').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('system_state');
}
