import { randomBytes } from 'node:crypto';
import { createKnex, ensureDatabase, migrateLatest, onServer } from '../../src/db/knex';
import { TEST_DATABASE_URL } from './env';

/** A migrated database of the test's own, for tests that act on "every user" and must not see other tests' rows. */
export async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = new URL(TEST_DATABASE_URL);
  const name = `switchyard_scratch_${randomBytes(4).toString('hex')}`;
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const knex = createKnex(url.toString(), { max: 1 });
  await migrateLatest(knex);
  await knex.destroy();
  return {
    url: url.toString(),
    async drop() {
      await onServer(TEST_DATABASE_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
