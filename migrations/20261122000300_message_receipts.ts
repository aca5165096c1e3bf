import type { Knex } from 'knex';

/** One row per delivered message part: a retried notification job skips the parts Telegram already has. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('message_receipts', (t) => {
    t.text('notification_key').notNullable();
    t.integer('part').notNullable();
    t.bigInteger('chat_id').notNullable();
    t.bigInteger('telegram_message_id').notNullable();
    t.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['notification_key', 'part']);
    t.index(['sent_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('message_receipts');
}
