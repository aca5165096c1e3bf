import { createKnex, ensureDatabase, migrateLatest } from '../../src/db/knex';
import { TEST_DATABASE_URL } from './env';

/** Root hooks: the test database exists and is migrated once per run (migrations themselves are tested too). */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    await ensureDatabase(TEST_DATABASE_URL);
    const knex = createKnex(TEST_DATABASE_URL, { max: 1 });
    try {
      await migrateLatest(knex);
    } finally {
      await knex.destroy();
    }
  },
};
