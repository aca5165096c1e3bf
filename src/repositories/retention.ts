import type { Knex } from 'knex';

/**
 * Deletes rows of `table` whose `column` is older than `before`, `batch` rows per statement (short locks, no long
 * transaction), optionally only those matching `where` (SQL with bindings). Returns how many were deleted.
 */
export async function pruneOlder(
  knex: Knex,
  table: string,
  column: string,
  before: Date,
  where: { sql: string; bindings: unknown[] } = { sql: 'TRUE', bindings: [] },
  batch = 10_000,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { rowCount } = await knex.raw(
      `DELETE FROM ?? WHERE ctid IN (SELECT ctid FROM ?? WHERE ?? < ? AND (${where.sql}) LIMIT ?)`,
      [table, table, column, before, ...(where.bindings as Knex.Value[]), batch],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) return deleted;
  }
}
