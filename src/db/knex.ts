import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';

// Telegram ids and coin sums are int8 in Postgres; they stay far below 2^53, so read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** Compiled migrations live beside the compiled sources (dist/migrations). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

export function createKnex(databaseUrl: string, pool: { min?: number; max?: number } = {}): Knex {
  const knex = knexFactory({
    client: 'pg',
    connection: { connectionString: databaseUrl, connectionTimeoutMillis: 5_000 },
    pool: { min: pool.min ?? 0, max: pool.max ?? 10 },
    migrations: { directory: MIGRATIONS_DIR, loadExtensions: ['.js'], tableName: 'knex_migrations' },
  });
  Model.knex(knex);
  return knex;
}

/** Creates the database named in the URL when it does not exist yet (needs rights on the `postgres` db). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`database name "${name}" must be letters, digits, _ or -`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
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
  } finally {
    await client.end();
  }
}

/** Brings the schema to the latest migration; safe to run concurrently (knex holds a migration lock). */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest()) as [number, string[]];
  return applied;
}
