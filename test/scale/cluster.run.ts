import { spawn } from 'node:child_process';
import { OwnRedisCluster } from '../support/own-redis-cluster';

/**
 * `npm run test:cluster`: the integration and e2e tests that touch Redis most, run against a real 3-master Redis
 * Cluster of this run's own (test/support/own-redis-cluster.ts): every connection of every part is then an ioredis
 * Cluster (TEST_REDIS_CLUSTER_NODES → REDIS_CLUSTER_NODES). Exits with mocha's status.
 */
export const CLUSTER_SUBSET = [
  'dist/test/integration/bot-flow.test.js',
  'dist/test/integration/billing.test.js',
  'dist/test/integration/delivery.test.js',
  'dist/test/integration/reply-order.test.js',
  'dist/test/integration/broadcast.test.js',
  'dist/test/integration/outbox.test.js',
  'dist/test/integration/retried-jobs.test.js',
  'dist/test/e2e/polling-failover.test.js',
];

async function main(): Promise<number> {
  const cluster = await OwnRedisCluster.start(3);
  console.log(`test:cluster: Redis Cluster of 3 masters on ${cluster.nodes}`);
  try {
    const files = process.argv.slice(2).length ? process.argv.slice(2) : CLUSTER_SUBSET;
    const mocha = spawn(process.execPath, [require.resolve('mocha/bin/mocha.js'), '--no-config', '--require', 'dist/test/support/hooks.js', '--timeout', '60000', '--exit', ...files], {
      stdio: 'inherit',
      env: { ...process.env, TEST_REDIS_CLUSTER_NODES: cluster.nodes },
    });
    return await new Promise<number>((resolve) => mocha.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    await cluster.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
