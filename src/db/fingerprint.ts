import type pg from 'pg';

/** One table as a backup saw it: its rows and an order-free checksum of their contents. */
export interface TableFingerprint {
  rows: number;
  /** The sum of a 64-bit hash of every row (order-free), as text: Postgres sums it as numeric. */
  checksum: string;
  /**
   * `record`: hash_record_extended over the row's columns (PostgreSQL 14+, every column type hashable) — about twice
   * as fast as `text`: hashtextextended over the row's text form, for types without a hash (json, point, …).
   */
  method: 'record' | 'text';
}

/** Every table of a database ("schema.table" → fingerprint). */
export type Manifest = Record<string, TableFingerprint>;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

const QUERIES: Record<TableFingerprint['method'], (table: string) => string> = {
  record: (t) => `SELECT count(*)::bigint AS rows, coalesce(sum(hash_record_extended(r, 0)), 0)::text AS checksum FROM ${t} AS r`,
  text: (t) => `SELECT count(*)::bigint AS rows, coalesce(sum(hashtextextended(r::text, 0)), 0)::text AS checksum FROM ${t} AS r`,
};

/**
 * Row counts and checksums of every ordinary and partitioned table outside the system schemas, read on `client` —
 * inside the transaction the caller opened (the dump's exported snapshot, or a restored copy). With `methods` (the
 * source's manifest), each table is read the same way the source was; otherwise `record` is tried first, inside a
 * savepoint, and `text` used where it is not available.
 */
export async function fingerprintTables(client: pg.ClientBase, methods?: Manifest): Promise<Manifest> {
  // The text form of times, intervals and floats follows these settings: the same on both sides, whatever the
  // database's or the role's own (a restored copy does not inherit ALTER DATABASE … SET).
  await client.query(`SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1`);
  const { rows: tables } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
      ORDER BY 1, 2`,
  );
  const manifest: Manifest = {};
  for (const { schema, name } of tables) {
    const key = `${schema}.${name}`;
    const table = `${ident(schema)}.${ident(name)}`;
    const read = async (method: TableFingerprint['method']): Promise<TableFingerprint> => {
      const { rows } = await client.query<{ rows: string | number; checksum: string }>(QUERIES[method](table));
      return { rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum, method };
    };
    const known = methods?.[key]?.method;
    if (known) {
      manifest[key] = await read(known);
      continue;
    }
    await client.query('SAVEPOINT fingerprint');
    try {
      manifest[key] = await read('record');
      await client.query('RELEASE SAVEPOINT fingerprint');
    } catch {
      // A column type without an extended hash (or a server before 14): the row's text form instead.
      await client.query('ROLLBACK TO SAVEPOINT fingerprint');
      manifest[key] = await read('text');
    }
  }
  return manifest;
}

/** The fingerprints of a whole database in one consistent snapshot (a restored copy: nothing else writes to it). */
export async function readFingerprints(client: pg.ClientBase, methods?: Manifest): Promise<Manifest> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  try {
    return await fingerprintTables(client, methods);
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
}

/** What differs between the source at dump time and a restored copy, one line per table; empty when they match. */
export function compareManifests(source: Manifest, restored: Manifest): string[] {
  const problems: string[] = [];
  for (const [table, want] of Object.entries(source)) {
    const got = restored[table];
    if (!got) problems.push(`${table}: missing from the restored copy`);
    else if (got.rows !== want.rows) problems.push(`${table}: ${want.rows} rows at dump time, ${got.rows} restored`);
    else if (got.checksum !== want.checksum) problems.push(`${table}: ${want.rows} rows, but their contents differ (checksum)`);
  }
  for (const table of Object.keys(restored)) if (!source[table]) problems.push(`${table}: in the restored copy only`);
  return problems;
}

export const totalRows = (m: Manifest): number => Object.values(m).reduce((n, t) => n + t.rows, 0);
