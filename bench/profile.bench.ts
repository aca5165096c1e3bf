import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { SandboxClient } from '../src/sandbox/sandbox.client';
import { buttons, lastMessageId, nextMessage, sourceMessageId } from '../test/support/chat';
import { plainJpeg } from '../test/support/images';
import { OwnPostgres } from '../test/support/own-postgres';
import { OwnRedis } from '../test/support/own-redis';
import { startDeployment } from './deployment';

/** What one kind of update costs, per update (an avatar: per avatar, its photo and its button press together). */
export interface CostRow {
  scenario: string;
  count: number;
  redisCalls: number;
  redisScripts: number;
  pgStatements: number;
  /** Statements that wrote (INSERT, UPDATE, DELETE), of pgStatements. */
  pgWrites: number;
  /** CPU µs per update in each process, by process name. */
  cpuUs: Record<string, number>;
  /** The commands and statements that cost most, for the reader looking for the next cut. */
  topRedis: string;
  topPg: string;
}

interface Snapshot {
  at: number;
  redis: Map<string, number>;
  pg: Map<string, { calls: number; query: string }>;
  cpuTicks: number[];
}

const CLOCK_TICK_US = 10_000; // Linux USER_HZ = 100

/** utime + stime of a process, all its threads (/proc/<pid>/stat fields 14 and 15); 0 once it is gone. */
function cpuTicks(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Redis's own CPU seconds (INFO cpu), as ticks. */
async function redisCpuTicks(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return ((get('used_cpu_user') + get('used_cpu_sys')) * 1e6) / CLOCK_TICK_US;
}

async function redisStats(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

async function pgStats(client: pg.Client): Promise<Map<string, { calls: number; query: string }>> {
  const { rows } = await client.query<{ queryid: string; calls: string; query: string }>(
    "SELECT queryid::text, calls::text, query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT ILIKE '%pg_stat_statements%'",
  );
  return new Map(rows.map((r) => [r.queryid, { calls: Number(r.calls), query: r.query }]));
}

const delta = <T>(after: Map<string, T>, before: Map<string, T>, value: (t: T) => number) =>
  [...after].map(([k, v]) => [k, value(v) - (before.has(k) ? value(before.get(k)!) : 0)] as const).filter(([, d]) => d > 0);

const WRITE = /^\s*(WITH[\s\S]*?\b(INSERT|UPDATE|DELETE)\b|INSERT|UPDATE|DELETE)/i;

/**
 * `npm run bench -- profile`: the per-update cost budget of docs/PERFORMANCE.md. The real `bot`, `worker` and
 * `avatars` processes run against a Redis and a Postgres of the profile's own (nothing else talks to them, so
 * `INFO commandstats` and `pg_stat_statements` deltas are the deployment's alone). Each scenario's counts are net of
 * what the deployment does when idle (leases, schedules, stalled checks) over the same time.
 */
export async function benchProfile(count = Number(process.env.BENCH_PROFILE_UPDATES ?? 300)): Promise<CostRow[]> {
  const pgServer = await OwnPostgres.start({ settings: ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all', 'pg_stat_statements.max=5000'] });
  const redisServer = await OwnRedis.start();
  const databaseUrl = pgServer.url('switchyard_profile');
  let deployment: Awaited<ReturnType<typeof startDeployment>> | undefined;
  const redis = new Redis(redisServer.url);
  const pgClient = new pg.Client({ connectionString: databaseUrl });
  try {
    // CPU of each part: the three processes, Redis, Postgres (all its processes), and this process (the sandbox
    // serving the Bot API, and the driver).
    const names = ['bot', 'worker', 'avatars', 'redis', 'postgres', 'sandbox'];
    deployment = await startDeployment('profile', 7_300_000, [
      { script: 'src/bot/main.js' },
      { script: 'workers/main.js', args: ['--queues=all,-avatars,-transcripts,-backups'] },
      { script: 'workers/main.js', args: ['--queues=avatars'] },
    ], { redisUrl: redisServer.url, databaseUrl });
    const { client, children } = deployment;
    await pgClient.connect();
    await pgClient.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const ticks = async () => [
      ...children.map((c) => cpuTicks(c.pid)),
      await redisCpuTicks(redis),
      pgServer.processIds().reduce((sum, pid) => sum + cpuTicks(pid), 0),
      ((process.cpuUsage().user + process.cpuUsage().system) / CLOCK_TICK_US),
    ];
    const snap = async (): Promise<Snapshot> => ({ at: Date.now(), redis: await redisStats(redis), pg: await pgStats(pgClient), cpuTicks: await ticks() });
    const settle = () => new Promise((r) => setTimeout(r, 1_500));

    // The idle floor: what the deployment costs per second with nothing to do.
    await settle();
    const idle0 = await snap();
    await new Promise((r) => setTimeout(r, 5_000));
    const idle1 = await snap();
    const idleSeconds = (idle1.at - idle0.at) / 1000;
    const idleRedis = delta(idle1.redis, idle0.redis, (n) => n).reduce((s, [, d]) => s + d, 0) / idleSeconds;
    const idleScripts = delta(idle1.redis, idle0.redis, (n) => n).filter(([k]) => k.startsWith('eval')).reduce((s, [, d]) => s + d, 0) / idleSeconds;
    const idlePg = delta(idle1.pg, idle0.pg, (s) => s.calls).reduce((s, [, d]) => s + d, 0) / idleSeconds;
    const idleCpu = names.map((_, i) => (idle1.cpuTicks[i]! - idle0.cpuTicks[i]!) / idleSeconds);

    const rows: CostRow[] = [];
    const measure = async (scenario: string, n: number, run: () => Promise<void>) => {
      const before = await snap();
      await run();
      await settle();
      const after = await snap();
      const seconds = (after.at - before.at) / 1000;
      const redisD = delta(after.redis, before.redis, (x) => x);
      const pgD = delta(after.pg, before.pg, (s) => s.calls);
      const per = (total: number, idlePerSecond: number) => Math.max(0, total - idlePerSecond * seconds) / n;
      rows.push({
        scenario,
        count: n,
        redisCalls: per(redisD.reduce((s, [, d]) => s + d, 0), idleRedis),
        redisScripts: per(redisD.filter(([k]) => k.startsWith('eval')).reduce((s, [, d]) => s + d, 0), idleScripts),
        pgStatements: per(pgD.reduce((s, [, d]) => s + d, 0), idlePg),
        pgWrites: pgD.filter(([k]) => WRITE.test(after.pg.get(k)!.query)).reduce((s, [, d]) => s + d, 0) / n,
        cpuUs: Object.fromEntries(names.map((name, i) => [name, (per(after.cpuTicks[i]! - before.cpuTicks[i]!, idleCpu[i]!) * CLOCK_TICK_US)])),
        topRedis: redisD.sort((a, b) => b[1] - a[1]).filter(([, d]) => d / n >= 0.5).map(([k, d]) => `${k} ${(d / n).toFixed(1)}`).join(', '),
        topPg: pgD.sort((a, b) => b[1] - a[1]).filter(([, d]) => d / n >= 0.5).map(([k, d]) => `${(d / n).toFixed(1)}× ${after.pg.get(k)!.query.replace(/\s+/g, ' ').slice(0, 60)}`).join(' · '),
      });
    };

    const users: number[] = [];
    for (let i = 0; i < count; i++) users.push((await client.createUser({ language_code: i % 2 ? 'ru' : 'en' })).id);
    const inFlight = async (ids: number[], one: (id: number) => Promise<void>, limit = 50) => {
      let next = 0;
      await Promise.all(Array.from({ length: limit }, async () => {
        while (next < ids.length) await one(ids[next++]!);
      }));
    };
    const textAndReply = (text: string) => async (id: number) => {
      const after = await lastMessageId(client, id);
      await client.sendText(id, text);
      await nextMessage(client, id, after, () => true, 30_000);
    };
    await measure('/start (first contact: registration, bonus, welcome)', users.length, () => inFlight(users, textAndReply('/start')));
    await measure('/balance', users.length, () => inFlight(users, textAndReply('/balance')));
    await measure('a text the bot answers with a hint (a reply)', users.length, () => inFlight(users, textAndReply('hello there')));
    const avatarUsers = users.slice(0, Math.min(60, users.length));
    const photo = await plainJpeg(640, 480);
    await measure('a paid avatar (photo, style button, result)', avatarUsers.length, () => inFlight(avatarUsers, (id) => paidAvatar(client, id, photo), 10));
    return rows;
  } finally {
    await pgClient.end().catch(() => undefined);
    await redis.quit().catch(() => undefined);
    await deployment?.close().catch(() => undefined);
    await redisServer.destroy();
    pgServer.destroy();
  }
}

async function paidAvatar(client: SandboxClient, id: number, photo: Buffer): Promise<void> {
  const after = await lastMessageId(client, id);
  const messageId = sourceMessageId(await client.sendPhoto(id, photo));
  const offer = await nextMessage(client, id, after, (m) => buttons(m).some((b) => b.startsWith(`avatar:style:${messageId}:`)), 30_000);
  await client.pressButton(id, offer.message_id, `avatar:style:${messageId}:square`);
  await nextMessage(client, id, offer.message_id, (m) => Boolean(m.photo), 60_000);
}
