import type { Knex } from 'knex';

/**
 * The last dialog state of each (bot, chat, user), mirrored from Redis by `dialog.save` so a flushed or failed-over Redis
 * does not drop a user mid-dialog (docs/RELIABILITY.md, dialog state). `state` null: no dialog. `update_id` orders
 * the writes: an older transition never overwrites a newer one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dialog_states', (t) => {
    // Chats and update ids belong to one bot: a new BOT_TOKEN's bot starts with no dialogs.
    t.bigInteger('bot_id').notNullable();
    t.bigInteger('chat_id').notNullable();
    t.bigInteger('telegram_id').notNullable();
    t.jsonb('state');
    t.bigInteger('update_id').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['bot_id', 'chat_id', 'telegram_id']);
    t.index(['bot_id', 'updated_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dialog_states');
}
