import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/knex';
import { createEnqueue } from '../../src/jobs/enqueue';
import { QueueRegistry } from '../../src/jobs/queues';
import { deleteKeysWithPrefix } from '../../src/lib/redis';
import { createMetricsRegistry } from '../../src/observability/metrics.registry';
import { SandboxClient } from '../../src/sandbox/sandbox.client';
import { startSandbox } from '../../src/sandbox/sandbox.server';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testToken, uniquePrefix } from '../support/env';
import { waitFor } from '../support/wait';
import { startWeb, type RunningWeb } from '../support/web-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const scraper = { user: 'prometheus', password: 'scrape-secret' };

/** One scrape of the web process covers jobs run by a separate worker process. */
describe('/metrics across processes', function () {
  this.timeout(60_000);
  const prefix = uniquePrefix();
  const token = testToken();
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let worker: ChildProcess;
  let redis: Redis;
  let knex: Knex;
  let queues: QueueRegistry;
  let web: RunningWeb;
  let url: string;

  before(async () => {
    sandbox = await startSandbox();
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    knex = createKnex(TEST_DATABASE_URL, { max: 2 });
    queues = new QueueRegistry(redis, prefix);
    web = await startWeb({ redis, knex, queues, board: [], metrics: { registry: createMetricsRegistry(redis, prefix, queues, knex), ...scraper } });
    url = web.url;
    worker = spawn(process.execPath, [path.join(ROOT, 'dist/workers/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH, NODE_ENV: 'test', BOT_TOKEN: token, TELEGRAM_API_ROOT: sandbox.apiRoot, REDIS_URL: TEST_REDIS_URL,
        DATABASE_URL: TEST_DATABASE_URL, QUEUE_PREFIX: prefix, WORKER_QUEUES: 'notifications', WORKER_PROCESSES: '1', LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      worker.stdout!.on('data', (c: Buffer) => c.toString().includes('workers started') && resolve());
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  });
  after(async () => {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
    await web?.close();
    await queues?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis?.quit();
    await knex?.destroy();
    await sandbox?.close();
  });

  const scrape = async (auth = true) =>
    fetch(`${url}/metrics`, { headers: auth ? { authorization: `Basic ${Buffer.from(`${scraper.user}:${scraper.password}`).toString('base64')}` } : {} });

  it('refuses a scrape without the metrics credentials', async () => {
    expect((await scrape(false)).status).to.equal(401);
  });

  it('counts a job, its duration and its Bot API call after a worker process ran it', async () => {
    const client = new SandboxClient(sandbox.url, token);
    const user = await client.createUser();
    await createEnqueue(queues)('message.send', { chatId: user.id, text: 'counted' });
    await client.waitForMessages(user.id, 1);
    let text = '';
    await waitFor(async () => {
      text = await (await scrape()).text();
      return text.includes('switchyard_jobs_total{queue="notifications",name="message.send",outcome="completed"} 1');
    }, 'job counted in /metrics', 10_000);
    expect(text).to.include('switchyard_telegram_calls_total{method="sendMessage",result="ok"} 1');
    expect(text).to.include('switchyard_job_duration_seconds_count{queue="notifications",name="message.send"} 1');
    expect(text).to.match(/switchyard_queue_jobs\{queue="notifications",state="completed"\} 1/);
    expect(text).to.match(/switchyard_queue_oldest_waiting_seconds\{queue="billing"\} 0/);
    expect(text).to.include('switchyard_dependency_up{dependency="redis"} 1');
    expect(text).to.include('switchyard_dependency_up{dependency="postgres"} 1');
  });
});
