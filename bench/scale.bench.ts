import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OwnRedisCluster } from '../test/support/own-redis-cluster';
import { startDeployment } from './deployment';
import { firstReplies, updateSender } from './latency.bench';
import { BENCH_REDIS_URL } from './support';

const USERS = Number(process.env.BENCH_SCALE_USERS ?? 3_000);
const WARMUP_USERS = Number(process.env.BENCH_SCALE_WARMUP ?? 300);
export const SCALE_PROCESSES = [1, 2, 4] as const;
const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU seconds used over the window, by part (each figure ÷ the window = cores busy). */
export interface CpuShare {
  /** Every process of the machine, ours and anyone else's: the whole of /proc/stat but idle and iowait. */
  machine: number;
  workers: number;
  bot: number;
  redis: number;
  postgres: number;
  /** This process: the sandbox and the driver. */
  driver: number;
}

export interface ScalePoint {
  processes: number;
  /** First replies per second, the first send → the last reply. */
  rate: number;
  answered: number;
  unanswered: number;
  seconds: number;
  /** Cores busy over the window, by part. */
  cores: CpuShare;
}

export interface ScaleRow {
  backend: 'one Redis' | 'Redis Cluster (3 masters)';
  points: ScalePoint[];
}

/** utime + stime of a process and its threads, in seconds; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function pgrep(...args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

/** Busy and total CPU seconds of the whole machine (/proc/stat, all cores). */
function machineSeconds(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS_PER_SECOND;
}

/**
 * The processes whose CPU the row reports: the worker command and its forked processes, the bot, the redis-server(s)
 * on `redisPorts`, and the bench database's Postgres backends with the server's background writers.
 */
function processGroups(workerPid: number, botPid: number, redisPorts: number[]): Record<'workers' | 'bot' | 'redis' | 'postgres', number[]> {
  const postmasters = pgrep('-f', '^/usr/lib/postgresql/.*/bin/postgres ').concat(pgrep('-x', 'postgres').filter((p) => !/: /.test(cmdline(p))));
  const postgres = [...new Set(postmasters)].flatMap((pm) => pgrep('-P', String(pm)).filter((p) => /switchyard_bench |: (checkpointer|background writer|walwriter)/.test(cmdline(p))));
  return {
    workers: [workerPid, ...pgrep('-P', String(workerPid))],
    bot: [botPid],
    redis: redisPorts.flatMap((port) => pgrep('-f', `redis-server .*:${port}( |$)`)),
    postgres,
  };
}

function snapshot(groups: Record<string, number[]>): Record<string, number> & { machine: number; driver: number } {
  const out: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) out[name] = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const self = process.cpuUsage();
  return Object.assign(out, { machine: machineSeconds(), driver: (self.user + self.system) / 1e6 });
}

/**
 * One point: a deployment whose worker command runs `processes` worker processes; WARMUP_USERS first, then USERS
 * new users each send `/start` as fast as the sandbox takes them (over the latency driver's keep-alive sockets).
 * Each is an ingress, the registration job (user upsert, welcome bonus, ledger) and the reply's `message.send`.
 */
async function point(name: string, tokenBase: number, processes: number, redisUrl: string, redisPorts: number[], redisClusterNodes?: string): Promise<ScalePoint> {
  const d = await startDeployment(
    name,
    tokenBase,
    [{ script: 'src/bot/main.js' }, { script: 'workers/main.js', env: { WORKER_PROCESSES: String(processes) } }],
    { redisUrl, ...(redisClusterNodes ? { redisClusterNodes } : {}) },
  );
  try {
    const newUsers = async (count: number) => {
      const users: { id: number }[] = [];
      for (let i = 0; i < count; i += 50) {
        users.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => d.client.createUser({ language_code: (i + j) % 2 ? 'ru' : 'en' })))));
      }
      return users;
    };
    const burst = async (users: { id: number }[]) => {
      const { send, close } = updateSender(d.client);
      const started = Date.now();
      await Promise.all(users.map((u) => send(u.id)));
      close();
      return { started, replies: await firstReplies(d.client, users, 60_000) };
    };
    await burst(await newUsers(WARMUP_USERS));
    const users = await newUsers(USERS);
    const groups = processGroups(d.children[1]!.pid!, d.children[0]!.pid!, redisPorts);
    const before = snapshot(groups);
    const windowStart = process.hrtime.bigint();
    const { started, replies } = await burst(users);
    const after = snapshot(groups);
    const window = Number(process.hrtime.bigint() - windowStart) / 1e9;
    const times = [...replies.values()].filter((t): t is number => t !== undefined);
    const seconds = (Math.max(...times) - started) / 1000;
    const cores = (k: keyof CpuShare) => (after[k]! - before[k]!) / window;
    return {
      processes,
      rate: times.length / seconds,
      answered: times.length,
      unanswered: users.length - times.length,
      seconds,
      cores: { machine: cores('machine'), workers: cores('workers'), bot: cores('bot'), redis: cores('redis'), postgres: cores('postgres'), driver: cores('driver') },
    };
  } finally {
    await d.close();
  }
}

/**
 * `npm run bench -- scale`: end-to-end first-contact `/start` replies/s with 1, 2 and 4 worker processes, on the
 * shared Redis and on a 3-master Redis Cluster of the bench's own (started here, destroyed after, even on failure).
 */
export async function benchScale(): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const single: ScalePoint[] = [];
  const port = Number(new URL(BENCH_REDIS_URL).port || 6379);
  for (const n of SCALE_PROCESSES) {
    single.push(await point('scale', 8_000_000 + n, n, BENCH_REDIS_URL, [port]));
    console.error(`[scale one Redis] ${n} process(es): ${Math.round(single.at(-1)!.rate)}/s`);
  }
  rows.push({ backend: 'one Redis', points: single });
  const cluster = await OwnRedisCluster.start(3);
  try {
    const points: ScalePoint[] = [];
    for (const n of SCALE_PROCESSES) {
      points.push(await point('scale-cluster', 8_100_000 + n, n, BENCH_REDIS_URL, cluster.ports, cluster.nodes));
      console.error(`[scale cluster] ${n} process(es): ${Math.round(points.at(-1)!.rate)}/s`);
    }
    rows.push({ backend: 'Redis Cluster (3 masters)', points });
  } finally {
    await cluster.destroy();
  }
  return rows;
}

export const SCALE_USERS = USERS;
