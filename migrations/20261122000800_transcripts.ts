import type { Knex } from 'knex';

/**
 * Transcripts: the text is encrypted (AES-256-GCM, `text_sealed` = nonce ‖ tag ‖ ciphertext) under the key named by
 * `key_id`; what an operator needs to see (duration, engine, language, cost, length) stays in clear.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('transcripts', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    // The paid request (the hold's key): a retried job finds what an earlier run stored instead of storing twice.
    t.text('request_key').notNullable().unique();
    t.text('source_unique_id').notNullable();
    t.double('duration_seconds').notNullable();
    t.text('engine').notNullable();
    t.text('language');
    t.integer('cost').notNullable();
    t.integer('chars').notNullable();
    t.text('key_id').notNullable();
    t.specificType('text_sealed', 'bytea').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'id']);
    // The re-encryption job looks for values under older keys.
    t.index(['key_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('transcripts');
}
