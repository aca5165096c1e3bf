import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createKnex, ensureDatabase, migrateLatest } from '../src/db/knex';
import { SandboxClient } from '../src/sandbox/sandbox.client';
import { startSandbox } from '../src/sandbox/sandbox.server';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../src/lib/redis';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL, percentile } from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);

export function startProcess(script: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the bot and worker processes.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', script)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (/"message":"(bot started|workers started)"/.test(chunk.toString())) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/**
 * Update → reply latency for /start at a steady RATE through the sandbox, with the real `bot` and `worker`
 * processes (as in production) against Redis and Postgres. The sandbox's Telegram limits are off here: at
 * 200 replies/s to different users Telegram's own 30 msg/s would be the whole story.
 */
export async function benchLatency(RATE: number): Promise<{ rate: number; count: number; p50: number; p99: number; max: number; achievedRate: number }> {
  await ensureDatabase(BENCH_DATABASE_URL);
  const knex = createKnex(BENCH_DATABASE_URL, { max: 1 });
  await migrateLatest(knex);
  await knex.destroy();
  const sandbox = await startSandbox({ limits: { enabled: false } });
  const token = `${7_000_000 + (process.pid % 1_000_000)}:${'b'.repeat(35)}`;
  const prefix = `bench-latency-${process.pid}`;
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    BOT_TOKEN: token,
    TELEGRAM_API_ROOT: sandbox.apiRoot,
    REDIS_URL: BENCH_REDIS_URL,
    DATABASE_URL: BENCH_DATABASE_URL,
    QUEUE_PREFIX: prefix,
    // Production's level: every update and job writes its log lines, as it would in a deployment.
    LOG_LEVEL: 'info',
    POLLING_TIMEOUT_SECONDS: '10',
    // Our own global send limit follows the sandbox's: off (see above).
    TELEGRAM_GLOBAL_RATE: '10000',
  };
  const client = new SandboxClient(sandbox.url, token);
  const children = [await startProcess('src/bot/main.js', env), await startProcess('workers/main.js', env)];
  try {
    const total = RATE * SECONDS;
    const users = [];
    for (let i = 0; i < total; i++) users.push(await client.createUser({ language_code: i % 2 ? 'ru' : 'en' }));
    const sentAt = new Map<number, number>();
    const started = Date.now();
    for (let i = 0; i < total; i++) {
      // Open-loop pacing: each update is due at its slot, whatever happened to the ones before.
      const due = started + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const id = users[i]!.id;
      void client.sendText(id, '/start').then(() => sentAt.set(id, Date.now()));
    }
    const achievedRate = total / ((Date.now() - started) / 1000);
    const latencies: number[] = [];
    for (const u of users) {
      const [reply] = await client.waitForMessages(u.id, 1, 30_000);
      latencies.push(reply!.at - sentAt.get(u.id)!);
    }
    latencies.sort((a, b) => a - b);
    return { rate: RATE, count: total, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1]!, achievedRate };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await sandbox.close();
    const redis = new Redis(BENCH_REDIS_URL);
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  }
}
