import { randomBytes } from 'node:crypto';
import { createKnex, ensureDatabase, migrateLatest, onServer } from '../../src/db/knex';
import { TEST_DATABASE_URL } from './env';

/** Creates the database of `url` if needed and migrates it to the latest schema. */
export async function migratedDatabase(url: string): Promise<void> {
  await ensureDatabase(url);
  const knex = createKnex(url, { max: 1 });
  try {
    await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
}

/** A migrated database of the test's own, for tests that act on "every user" and must not see other tests' rows. */
export async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(TEST_DATABASE_URL);
  const name = `switchyard_scratch_${randomBytes(4).toString('hex')}`;
  url.pathname = `/${name}`;
  await migratedDatabase(url.toString());
  return {
    url: url.toString(),
    async drop() {
      await onServer(TEST_DATABASE_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
