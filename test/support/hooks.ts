import { databaseOf, onServer } from '../../src/db/knex';
import { OWN_TEST_DATABASE, TEST_DATABASE_DIRECT_URL } from './env';
import { migratedDatabase } from './scratch-db';

/**
 * Root hooks: the run's test database is created and migrated once (migrations themselves are tested too), and
 * dropped at the end when it is the run's own. Both on Postgres itself, never through a pooler (TEST_DATABASE_POOLER).
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    await migratedDatabase(TEST_DATABASE_DIRECT_URL);
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    if (!OWN_TEST_DATABASE) return;
    await onServer(TEST_DATABASE_DIRECT_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${databaseOf(TEST_DATABASE_DIRECT_URL)}" WITH (FORCE)`));
  },
};
