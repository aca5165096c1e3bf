import type { Knex } from 'knex';
import { up as createAvatarsTable } from './20261122000600_avatars';

/**
 * Avatars become sets: one row per (user, source photo, style) in `avatar_sets`, its variants (512/256/128 px, WebP
 * and a JPEG — PNG for the circle — fallback) in `avatar_variants`, deleted with their set. The ids of the old
 * `avatars` rows are kept as set ids, so `message.send` jobs queued before the upgrade still find their avatar.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('avatar_sets', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    // Telegram's file_unique_id of the source: the same photo in the same style is made once per user.
    t.text('source_unique_id').notNullable();
    t.text('style').notNullable();
    t.boolean('current').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['user_id', 'source_unique_id', 'style']);
    t.index(['user_id', 'id']);
  });
  // At most one current avatar per user.
  await knex.raw('CREATE UNIQUE INDEX avatar_sets_current_idx ON avatar_sets (user_id) WHERE current');
  await knex.schema.createTable('avatar_variants', (t) => {
    t.bigInteger('set_id').notNullable().references('avatar_sets.id').onDelete('CASCADE');
    t.integer('size').notNullable();
    t.text('format').notNullable();
    t.specificType('bytes', 'bytea').notNullable();
    t.primary(['set_id', 'size', 'format']);
  });
  await knex.raw(
    `INSERT INTO avatar_sets (id, user_id, source_unique_id, style, created_at)
     SELECT DISTINCT ON (user_id, source_unique_id, style) id, user_id, source_unique_id, style, created_at
     FROM avatars ORDER BY user_id, source_unique_id, style, size DESC`,
  );
  await knex.raw(
    `INSERT INTO avatar_variants (set_id, size, format, bytes)
     SELECT s.id, a.size, a.format, a.bytes FROM avatars a
     JOIN avatar_sets s ON (s.user_id, s.source_unique_id, s.style) = (a.user_id, a.source_unique_id, a.style)`,
  );
  await knex.raw(`SELECT setval(pg_get_serial_sequence('avatar_sets', 'id'), COALESCE((SELECT max(id) FROM avatar_sets), 1), (SELECT count(*) > 0 FROM avatar_sets))`);
  await knex.schema.dropTable('avatars');
}

export async function down(knex: Knex): Promise<void> {
  // The table exactly as the migration before made it.
  await createAvatarsTable(knex);
  // The 512 px JPEG/PNG of each set, under the set's id: a `message.send` queued meanwhile finds its own avatar.
  await knex.raw(
    `INSERT INTO avatars (id, user_id, source_unique_id, style, size, format, bytes, created_at)
     SELECT s.id, s.user_id, s.source_unique_id, s.style, v.size, v.format, v.bytes, s.created_at
     FROM avatar_sets s JOIN avatar_variants v ON v.set_id = s.id WHERE v.format <> 'webp' AND v.size = 512`,
  );
  await knex.raw(`SELECT setval(pg_get_serial_sequence('avatars', 'id'), COALESCE((SELECT max(id) FROM avatars), 1), (SELECT count(*) > 0 FROM avatars))`);
  await knex.schema.dropTable('avatar_variants');
  await knex.schema.dropTable('avatar_sets');
}
