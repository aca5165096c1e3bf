import type { Knex } from 'knex';

/**
 * What a hold pays for, when the same thing may be asked for twice at once (a recording forwarded twice: its
 * Telegram file_unique_id). One open hold per user, service and source: a second request for it waits for the first
 * instead of paying again, then is answered from what the first stored.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('holds', (t) => {
    t.text('source');
  });
  await knex.raw(`CREATE UNIQUE INDEX holds_one_open_per_source ON holds (user_id, service, source) WHERE status = 'held' AND source IS NOT NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS holds_one_open_per_source');
  await knex.schema.alterTable('holds', (t) => {
    t.dropColumn('source');
  });
}
