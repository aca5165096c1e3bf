import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.bigIncrements('id');
    t.bigInteger('telegram_id').notNullable().unique();
    t.text('username');
    t.text('language').notNullable().defaultTo('en');
    t.text('role').notNullable().defaultTo('user');
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check("language IN ('en', 'ru')", [], 'users_language_check');
    t.check("role IN ('user', 'admin')", [], 'users_role_check');
    t.check("status IN ('active', 'blocked_bot', 'banned')", [], 'users_status_check');
  });
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    // Who: "user:<telegram id>", "operator:<board user>", "system:<process>".
    t.text('actor').notNullable();
    t.text('action').notNullable();
    t.text('subject');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['at']);
    t.index(['actor', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
  await knex.schema.dropTable('users');
}
