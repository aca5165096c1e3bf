import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createKnex, ensureDatabase, migrateLatest } from '../src/db/knex';
import { closeRedis, connectRedis, createRedis, deleteKeysWithPrefix } from '../src/lib/redis';
import { SandboxClient } from '../src/sandbox/sandbox.client';
import { startSandbox } from '../src/sandbox/sandbox.server';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from './support';

const ROOT = path.resolve(__dirname, '..', '..');

/** A process of the deployment: a compiled entry point under dist/, its arguments and extra environment. */
export interface DeployedProcess {
  script: string;
  args?: string[];
  env?: Record<string, string>;
}

function startProcess({ script, args = [] }: DeployedProcess, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the bot and worker processes.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', script), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  // A worker command with WORKER_PROCESSES (or --processes=) > 1 is a supervisor: it is up once each of its processes said so.
  const processes = args.find((a) => a.startsWith('--processes='))?.slice('--processes='.length) ?? env.WORKER_PROCESSES;
  let awaited = script === 'workers/main.js' ? Math.max(1, Number(processes ?? 1) || 1) : 1;
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      awaited -= chunk.toString().match(/"message":"(bot started|workers started)"/g)?.length ?? 0;
      if (awaited <= 0) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

export interface Deployment {
  sandbox: Awaited<ReturnType<typeof startSandbox>>;
  client: SandboxClient;
  token: string;
  /** BullMQ's key prefix of this run. */
  prefix: string;
  /** The started processes, in the order given. */
  children: ChildProcess[];
  /** Stops the processes and the sandbox and deletes the run's Redis keys. */
  close(): Promise<void>;
}

/**
 * What the end-to-end benchmarks run against: the real `bot` and `worker` processes (as in production, logging at
 * `info`) on the migrated bench database and their own key prefix, talking to a sandbox with Telegram's limits off
 * (at hundreds of replies/s to different users, Telegram's own 30 msg/s would be the whole story).
 */
export async function startDeployment(
  name: string,
  tokenBase: number,
  processes: DeployedProcess[] = [{ script: 'src/bot/main.js' }, { script: 'workers/main.js' }],
  /**
   * Another Redis and database than the shared bench ones (the profile's own servers); `redisClusterNodes`
   * (`host:port,…`) runs every process on a Redis Cluster (REDIS_CLUSTER_NODES).
   */
  servers: { redisUrl?: string; databaseUrl?: string; redisClusterNodes?: string } = {},
): Promise<Deployment> {
  const redisUrl = servers.redisUrl ?? BENCH_REDIS_URL;
  const databaseUrl = servers.databaseUrl ?? BENCH_DATABASE_URL;
  await ensureDatabase(databaseUrl);
  const knex = createKnex(databaseUrl, { max: 1 });
  await migrateLatest(knex);
  await knex.destroy();
  const sandbox = await startSandbox({ limits: { enabled: false } });
  const token = `${tokenBase + (process.pid % 1_000_000)}:${'b'.repeat(35)}`;
  const prefix = `bench-${name}-${process.pid}`;
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    // Production requires a key for the encrypted columns; a fixed one is fine for throw-away bench data.
    ENCRYPTION_KEY: Buffer.alloc(32, 0x5b).toString('base64'),
    BOT_TOKEN: token,
    TELEGRAM_API_ROOT: sandbox.apiRoot,
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    POLLING_TIMEOUT_SECONDS: '10',
    // Our own global send limit follows the sandbox's: off.
    TELEGRAM_GLOBAL_RATE: '10000',
    // One process per worker command unless a benchmark asks for more (the profile reads each process's CPU).
    WORKER_PROCESSES: '1',
    ...(servers.redisClusterNodes ? { REDIS_CLUSTER_NODES: servers.redisClusterNodes } : {}),
  };
  const children: ChildProcess[] = [];
  for (const p of processes) children.push(await startProcess(p, { ...env, ...p.env }));
  return {
    sandbox,
    client: new SandboxClient(sandbox.url, token),
    token,
    prefix,
    children,
    async close() {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
      await sandbox.close();
      // Through the same kind of connection as the processes: on a cluster the keys are on every master.
      const redis = await connectRedis(createRedis({ REDIS_URL: redisUrl, REDIS_CLUSTER_NODES: servers.redisClusterNodes?.split(',') }, 'producer'));
      try {
        await deleteKeysWithPrefix(redis, prefix);
      } finally {
        await closeRedis(redis);
      }
    },
  };
}
