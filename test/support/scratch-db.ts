import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createKnex, ensureDatabase, migrateLatest, onServer } from '../../src/db/knex';
import { directUrl, pooledUrl, TEST_DATABASE_DIRECT_URL, TEST_DATABASE_URL } from './env';

/** A knex for a test's own queries on `url`, set as the apps would be: no prepared statements through a pooler. */
export function testKnex(url: string = TEST_DATABASE_URL, pool: { max?: number } = { max: 2 }): Knex {
  return createKnex(url, pool, { prepared: directUrl(url) === url });
}

/** Creates the database of `url` if needed and migrates it to the latest schema (on Postgres itself). */
export async function migratedDatabase(url: string): Promise<void> {
  url = directUrl(url);
  await ensureDatabase(url);
  const knex = createKnex(url, { max: 1 });
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
}

/**
 * A migrated database of the test's own, for tests that act on "every user" and must not see other tests' rows.
 * `url` is the apps' (through the pooler, when there is one); it is made and dropped on Postgres itself.
 */
export async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(TEST_DATABASE_DIRECT_URL);
  const name = `switchyard_scratch_${randomBytes(4).toString('hex')}`;
  url.pathname = `/${name}`;
  await migratedDatabase(url.toString());
  return {
    url: pooledUrl(url.toString()),
    async drop() {
      await onServer(TEST_DATABASE_DIRECT_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
