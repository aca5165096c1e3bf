import { Queue, Worker } from 'bullmq';
import { defineWorker } from '../src/jobs/handler.types';
import { startWorkers } from '../src/jobs/worker-runner';
import { createLogger } from '../src/lib/logger';
import { connectRedis, createRedis } from '../src/lib/redis';
import { parseConfig, QUEUE_NAMES } from '../src/config';
import { catalogue, JOB_NAMES } from '../src/jobs/catalogue';
import { SharedMetrics } from '../src/observability/shared-metrics';
import { deleteKeysWithPrefix } from '../src/lib/redis';
import { BENCH_REDIS_URL } from './support';

const JOBS = Number(process.env.BENCH_WORKER_JOBS ?? 20_000);
const CONCURRENCY = 20;

async function fill(queue: Queue): Promise<void> {
  for (let i = 0; i < JOBS; i += 1_000) {
    await queue.addBulk(Array.from({ length: Math.min(1_000, JOBS - i) }, (_, k) => ({ name: 'message.send', data: { chatId: i + k, text: 'x', lang: 'en' } })));
  }
}

async function drain(worker: Worker): Promise<number> {
  let done = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    worker.on('completed', () => {
      if (++done === JOBS) resolve();
    });
    worker.run().catch(() => undefined);
  });
  return JOBS / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** No-op jobs/s: our runner (validation, trace context, dispatch, error sorting) vs a bare BullMQ Worker. */
export async function benchWorker(): Promise<{ runner: number; bare: number; ratio: number }> {
  const redis = await connectRedis(createRedis(BENCH_REDIS_URL, 'producer'));
  const results = { runner: 0, bare: 0 };
  const prefixes: string[] = [];
  try {
    for (let round = 0; round < 3; round++) {
      // Bare BullMQ.
      const barePrefix = `bench-bare-${process.pid}-${round}`;
      prefixes.push(barePrefix);
      const bareQueue = new Queue('notifications', { connection: redis, prefix: barePrefix });
      await fill(bareQueue);
      const bareConn = await connectRedis(createRedis(BENCH_REDIS_URL, 'worker'));
      const bare = new Worker('notifications', async () => null, { connection: bareConn, prefix: barePrefix, concurrency: CONCURRENCY, autorun: false });
      results.bare = Math.max(results.bare, await drain(bare));
      await bare.close();
      await bareQueue.close();
      await bareConn.quit();

      // Our runner with no-op handlers for every catalogue job.
      const ourPrefix = `bench-runner-${process.pid}-${round}`;
      prefixes.push(ourPrefix);
      const ourQueue = new Queue('notifications', { connection: redis, prefix: ourPrefix });
      await fill(ourQueue);
      const ourConn = await connectRedis(createRedis(BENCH_REDIS_URL, 'worker'));
      const noop = async () => null;
      // A no-op handler for every catalogue job (the runner insists on all of them), queue by queue.
      const defs = QUEUE_NAMES.map((queue) =>
        defineWorker({
          queue,
          concurrency: () => (queue === 'notifications' ? CONCURRENCY : 1),
          handlers: () => Object.fromEntries(JOB_NAMES.filter((n) => catalogue[n].queue === queue).map((n) => [n, noop])) as never,
        }),
      );
      const config = parseConfig({ WORKER_QUEUES: 'notifications', QUEUE_PREFIX: ourPrefix });
      const metrics = new SharedMetrics(redis, ourPrefix);
      const deps = { config, log: createLogger({ level: 'info', service: 'bench', silent: true }), metrics } as never;
      const running = startWorkers(defs, ['notifications'], deps, ourConn, ourPrefix);
      const worker = running.workers[0]!;
      // startWorkers autoruns; measure from the first completion of this fresh queue.
      let done = 0;
      const started = process.hrtime.bigint();
      await new Promise<void>((resolve) => worker.on('completed', () => ++done === JOBS && resolve()));
      results.runner = Math.max(results.runner, JOBS / (Number(process.hrtime.bigint() - started) / 1e9));
      await running.close(5_000);
      await metrics.close();
      await ourQueue.close();
      await ourConn.quit();
    }
    return { ...results, ratio: results.runner / results.bare };
  } finally {
    for (const p of prefixes) await deleteKeysWithPrefix(redis, p);
    await redis.quit();
  }
}
