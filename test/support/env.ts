import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from '../../src/config';

/**
 * The test database: one of this run's own (`switchyard_test_<random>`, created and migrated by the root hooks,
 * dropped at the end), so two runs on one server never collide; never the development one. TEST_DATABASE_URL
 * names a fixed one instead (kept afterwards).
 *
 * TEST_DATABASE_POOLER (a postgres:// URL of a PgBouncer in transaction mode in front of that server, every database
 * name passed through; `npm run test:pgbouncer` sets it): the apps under test then get DATABASE_URL through it,
 * DATABASE_DIRECT_URL to the server itself and DATABASE_PREPARED_STATEMENTS=off, as an operator would set them
 * (docs/SCALING.md#pgbouncer). The root hooks, scratch databases and CREATE / DROP DATABASE go to the server.
 */
export const OWN_TEST_DATABASE = process.env.TEST_DATABASE_URL === undefined;
/** Postgres itself (migrations, scratch databases); TEST_DATABASE_URL when no pooler is in front. */
export const TEST_DATABASE_DIRECT_URL = process.env.TEST_DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/switchyard_test_${randomBytes(4).toString('hex')}`;
const POOLER = process.env.TEST_DATABASE_POOLER ? new URL(process.env.TEST_DATABASE_POOLER) : undefined;
/** True when the apps under test go through a pooler (TEST_DATABASE_POOLER). */
export const TEST_POOLED = POOLER !== undefined;

/** The same database through the pooler, when there is one (a URL of another server is left alone). */
export function pooledUrl(url: string): string {
  const u = new URL(url);
  if (!POOLER || u.host !== new URL(TEST_DATABASE_DIRECT_URL).host) return url;
  u.host = POOLER.host;
  return u.toString();
}

/** Postgres itself for a URL through the pooler (a URL of another server is left alone). */
export function directUrl(url: string): string {
  const u = new URL(url);
  if (!POOLER || u.host !== POOLER.host) return url;
  u.host = new URL(TEST_DATABASE_DIRECT_URL).host;
  return u.toString();
}

/** The database the apps under test use: through the pooler when there is one. */
export const TEST_DATABASE_URL = pooledUrl(TEST_DATABASE_DIRECT_URL);

/** The DATABASE_* settings of a process using `url`: through a pooler, the direct URL and no prepared statements. */
export function databaseEnv(url: string): Record<string, string> {
  const direct = directUrl(url);
  return direct === url ? { DATABASE_URL: url } : { DATABASE_URL: url, DATABASE_DIRECT_URL: direct, DATABASE_PREPARED_STATEMENTS: 'off' };
}

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Set by `npm run test:cluster` (its own 3-master Redis Cluster): every test config then runs on the cluster. */
export const TEST_REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES;
/** A token of the sandbox's accepted form; each test gets its own bot so state never leaks between tests. */
export function testToken(): string {
  return `${100000 + Math.floor(Math.random() * 899999)}:${randomBytes(27).toString('base64url')}`;
}

/** Every test gets its own queue prefix, so tests never see each other's jobs (BullMQ's own tests do the same). */
export function uniquePrefix(): string {
  return `sytest-${randomBytes(4).toString('hex')}`;
}

/** A complete, valid test configuration; pass overrides as environment strings. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({
    NODE_ENV: 'test',
    ...databaseEnv(overrides.DATABASE_URL ?? TEST_DATABASE_URL),
    REDIS_URL: TEST_REDIS_URL,
    ...(TEST_REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES } : {}),
    QUEUE_PREFIX: uniquePrefix(),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    POLLING_TIMEOUT_SECONDS: '1',
    POLLING_LEASE_TTL_MS: '3000',
    SHUTDOWN_TIMEOUT_MS: '5000',
    // Backups run only when a test asks: no schedule, and files in a folder of the tests' own.
    BACKUP_CRON: 'off',
    BACKUP_VERIFY_CRON: 'off',
    BACKUP_DIR: path.join(tmpdir(), 'switchyard-test-backups'),
    ...overrides,
  });
}
