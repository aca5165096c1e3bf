import type { Knex } from 'knex';

/** Avatars made from users' photos, stored in Postgres so every worker replica can serve them. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('avatars', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    // Telegram's file_unique_id of the source photo: the same photo in the same style is made once.
    t.text('source_unique_id').notNullable();
    t.text('style').notNullable();
    t.integer('size').notNullable();
    t.text('format').notNullable();
    t.specificType('bytes', 'bytea').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['user_id', 'source_unique_id', 'style', 'size']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('avatars');
}
