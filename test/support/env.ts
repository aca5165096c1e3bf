import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from '../../src/config';

/**
 * The test database: one of this run's own (`switchyard_test_<random>`, created and migrated by the root hooks,
 * dropped at the end), so two runs on one server never collide; never the development one. TEST_DATABASE_URL
 * names a fixed one instead (kept afterwards).
 */
export const OWN_TEST_DATABASE = process.env.TEST_DATABASE_URL === undefined;
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/switchyard_test_${randomBytes(4).toString('hex')}`;
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
    DATABASE_URL: TEST_DATABASE_URL,
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
