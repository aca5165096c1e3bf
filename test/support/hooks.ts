import { TEST_DATABASE_URL } from './env';
import { migratedDatabase } from './scratch-db';

/** Root hooks: the test database exists and is migrated once per run (migrations themselves are tested too). */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    await migratedDatabase(TEST_DATABASE_URL);
  },
};
