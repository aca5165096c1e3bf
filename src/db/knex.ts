import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';
import { disablePrepared } from './statements';

// Telegram ids and coin sums are int8 in Postgres; they stay far below 2^53, so read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Compiled migrations live beside the compiled sources (dist/migrations). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

/** `prepared: false` runs the hot statements unprepared (DATABASE_PREPARED_STATEMENTS=off; see statements.ts). */
export function createKnex(databaseUrl: string, pool: { min?: number; max?: number } = {}, opts: { prepared?: boolean } = {}): Knex {
  const knex = knexFactory({
    client: 'pg',
    connection: { connectionString: databaseUrl, connectionTimeoutMillis: 5_000 },
    pool: { min: pool.min ?? 0, max: pool.max ?? 10 },
    migrations: { directory: MIGRATIONS_DIR, loadExtensions: ['.js'], tableName: 'knex_migrations' },
  });
  Model.knex(knex);
  if (opts.prepared === false) disablePrepared(knex);
  return knex;
}

/** The database name of a URL. */
export const databaseOf = (databaseUrl: string): string => decodeURIComponent(new URL(databaseUrl).pathname.slice(1));

/** The same server, another database. */
export function withDatabase(databaseUrl: string, name: string): string {
  const u = new URL(databaseUrl);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

/** A connection of its own for `fn` (a session lock, a snapshot, CREATE DATABASE), always ended. */
export async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>, opts: { statementTimeoutMs?: number } = {}): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000, application_name: 'switchyard', statement_timeout: opts.statementTimeoutMs });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** On the server's `postgres` database: CREATE / DROP DATABASE cannot run inside the database they name. */
export const onServer = <T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> => withClient(withDatabase(databaseUrl, 'postgres'), fn);

/** Creates the database named in the URL when it does not exist yet (needs rights on the `postgres` db). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseOf(databaseUrl);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`database name "${name}" must be letters, digits, _ or -`);
  return onServer(databaseUrl, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (err) {
      // Two processes starting together: the other one created it first.
      if ((err as { code?: string }).code !== '42P04') throw err;
      return false;
    }
    return true;
  });
}

/** Brings the schema to the latest migration; safe to run concurrently (knex holds a migration lock). */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest()) as [number, string[]];
  return applied;
}
