import type { Knex } from 'knex';

/**
 * Backups: one row per `backup.run` try (file, size, sha256, duration, status) with the source's per-table row
 * counts and checksums taken in the dump's own snapshot (`manifest`), and the verdict of its restore drill.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('backups', (t) => {
    t.bigIncrements('id');
    t.text('status').notNullable().defaultTo('running');
    // schedule | admin | board: who asked for it.
    t.text('trigger').notNullable();
    // The file's name inside BACKUP_DIR (set once the dump is complete).
    t.text('file');
    t.bigInteger('size_bytes');
    t.text('sha256');
    t.text('server_version');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.integer('duration_ms');
    t.text('error');
    // { "<schema>.<table>": { rows, checksum, method } } as the dump saw them.
    t.jsonb('manifest');
    t.text('verdict');
    t.timestamp('verified_at', { useTz: true });
    t.integer('verify_ms');
    t.text('verify_error');
    t.integer('drills').notNullable().defaultTo(0);
    // Retention removed the file (the row stays as history).
    t.timestamp('pruned_at', { useTz: true });
    t.check("status IN ('running', 'done', 'failed')", [], 'backups_status_check');
    t.check("verdict IS NULL OR verdict IN ('passed', 'failed')", [], 'backups_verdict_check');
    t.check("status = 'done' OR (file IS NULL AND verdict IS NULL)", [], 'backups_file_only_when_done');
    t.index(['status', 'verdict', 'finished_at']);
  });
  await knex.raw('CREATE UNIQUE INDEX backups_file_unique ON backups (file) WHERE file IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('backups');
}
