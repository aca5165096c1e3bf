import { exitOnStartupError, loadConfig } from '../config';
import { createKnex, databaseOf, ensureDatabase, migrateLatest } from './knex';

/**
 * `npm run migrate` and the Procfile's `release`: create the database if needed, then migrate. On DATABASE_DIRECT_URL:
 * CREATE DATABASE and knex's migrations (DDL, its lock table) want Postgres itself, not a transaction pooler.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const created = await ensureDatabase(config.DATABASE_DIRECT_URL);
  const knex = createKnex(config.DATABASE_DIRECT_URL, { max: 1 });
  try {
    const applied = await migrateLatest(knex);
    const db = databaseOf(config.DATABASE_DIRECT_URL);
    process.stdout.write(
      `${created ? `created database ${db}; ` : ''}${applied.length ? `applied ${applied.join(', ')}` : 'schema already up to date'}\n`,
    );
  } finally {
    await knex.destroy();
  }
}

main().catch(exitOnStartupError);
