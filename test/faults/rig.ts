import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import net from 'node:net';
import knexFactory, { type Knex } from 'knex';
import { QUEUE_NAMES } from '../../src/config';
import { connectRedis, createRedis, queuePrefix, type RedisClient } from '../../src/lib/redis';
import { OwnRedisCluster } from '../support/own-redis-cluster';
import { SandboxClient, type SandboxMessage } from '../../src/sandbox/sandbox.client';
import { startSandbox } from '../../src/sandbox/sandbox.server';
import { OwnPgBouncer } from '../support/own-pgbouncer';
import { OwnPostgres } from '../support/own-postgres';
import { freePort, OwnRedis } from '../support/own-redis';
import { testToken, uniquePrefix } from '../support/env';
import { sleep, waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The processes of the Procfile, as the suite runs them (transcripts only where its tools are installed). A replica
 * is named `<process>-<n>` (`avatars-2`, `web-2`): the same command, and a web replica its own port.
 */
export const PROCESSES: Record<string, string[]> = {
  bot: ['dist/src/bot/main.js'],
  worker: ['dist/workers/main.js', '--queues=all,-avatars,-transcripts,-backups'],
  avatars: ['dist/workers/main.js', '--queues=avatars'],
  transcripts: ['dist/workers/main.js', '--queues=transcripts'],
  web: ['dist/src/web/main.js'],
};
const commandOf = (name: string): string[] => PROCESSES[name] ?? PROCESSES[name.replace(/-\d+$/, '')]!;

/**
 * A TCP load balancer in front of the web replicas (webhook mode): each connection goes to the next replica in
 * turn; one that is down (killed) closes the connection, and Telegram (the sandbox) delivers again.
 */
class RoundRobin {
  private next = 0;
  private readonly sockets = new Set<net.Socket>();
  readonly server: net.Server;
  constructor(private readonly ports: () => number[]) {
    this.server = net.createServer((client) => {
      this.sockets.add(client);
      client.once('close', () => this.sockets.delete(client));
      const all = this.ports();
      const upstream = net.connect(all[this.next++ % all.length]!, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      const close = () => (client.destroy(), upstream.destroy());
      client.on('error', close);
      upstream.on('error', close);
    });
  }
  listen(port: number): Promise<void> {
    return new Promise((resolve) => this.server.listen(port, '127.0.0.1', resolve));
  }
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export const BONUS = 30;
export const PRICE_AVATAR = 20;
export const PACKAGE = { coins: 100, stars: 50 };

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/**
 * The whole platform as real processes (the Procfile's) against resources the suite owns: its own redis-server
 * with an append-only file, its own Postgres cluster, its own sandbox. A process that dies is started again half a
 * second later, as a dyno manager would. Everything is removed by `destroy()`, also after a failure.
 */
export class FaultRig {
  readonly children = new Map<string, ChildProcess>();
  kills = 0;
  restarts = 0;
  private stopping = false;
  knex!: Knex;
  redis!: RedisClient;
  client!: SandboxClient;
  sandbox!: Sandbox;
  pg?: OwnPostgres;
  own?: OwnRedis;
  cluster?: OwnRedisCluster;
  bouncer?: OwnPgBouncer;
  private balancer?: RoundRobin;
  private readonly webPorts = new Map<string, number>();
  readonly token = testToken();
  readonly prefix = uniquePrefix();
  private env: NodeJS.ProcessEnv = {};

  /**
   * `webhook`: Telegram (the sandbox) pushes updates to the web process (BOT_MODE=webhook) instead of the bot
   * polling; with several web replicas, through a round-robin balancer. `cluster`: a 3-master Redis Cluster of the
   * rig's own instead of one redis-server. `pgbouncer`: the apps reach Postgres through a PgBouncer of the rig's own
   * in transaction mode (DATABASE_DIRECT_URL for migrations and backups).
   */
  async start(names: string[], opts: { webhook?: boolean; cluster?: boolean; pgbouncer?: boolean } = {}): Promise<void> {
    this.pg = await OwnPostgres.start();
    if (opts.pgbouncer) this.bouncer = await OwnPgBouncer.start({ serverPort: this.pg.port, poolSize: 20, maxClients: 400 });
    if (opts.cluster) this.cluster = await OwnRedisCluster.start(3);
    else this.own = await OwnRedis.start({ aof: true });
    this.sandbox = await startSandbox({ limits: { enabled: false } });
    this.client = new SandboxClient(this.sandbox.url, this.token);
    const webPort = await freePort();
    for (const name of names.filter((n) => n.startsWith('web'))) this.webPorts.set(name, this.webPorts.size === 0 ? webPort : await freePort());
    let hookPort = webPort;
    if (opts.webhook && this.webPorts.size > 1) {
      hookPort = await freePort();
      this.balancer = new RoundRobin(() => [...this.webPorts.values()]);
      await this.balancer.listen(hookPort);
    }
    this.env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      BOT_TOKEN: this.token,
      TELEGRAM_API_ROOT: this.sandbox.apiRoot,
      REDIS_URL: this.own?.url ?? 'redis://127.0.0.1:1',
      ...(this.cluster ? { REDIS_CLUSTER_NODES: this.cluster.nodes } : {}),
      DATABASE_URL: this.bouncer ? this.bouncer.url(this.pg.url()) : this.pg.url(),
      ...(this.bouncer ? { DATABASE_DIRECT_URL: this.pg.url(), DATABASE_PREPARED_STATEMENTS: 'off' } : {}),
      QUEUE_PREFIX: this.prefix,
      // kill -9 must hit the process running the jobs, not a supervisor whose children would then stop cleanly.
      WORKER_PROCESSES: '1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      WEB_PORT: String(webPort),
      POLLING_TIMEOUT_SECONDS: '1',
      POLLING_LEASE_TTL_MS: '2000',
      // A killed worker's jobs are taken over 3 s later (the default 30 s would only make the run longer).
      JOB_LOCK_MS: '3000',
      SHUTDOWN_TIMEOUT_MS: '3000',
      OUTBOX_RELAY_SECONDS: '2',
      OUTBOX_CONFIRM_SECONDS: '15',
      SCHEDULES_CHECK_SECONDS: '5',
      TELEGRAM_TIMEOUT_SECONDS: '5',
      RECONCILE_EVERY_MINUTES: '1',
      RECONCILE_GRACE_SECONDS: '20',
      WELCOME_BONUS: String(BONUS),
      PRICE_AVATAR: String(PRICE_AVATAR),
      TOPUP_PACKAGES: `${PACKAGE.coins}:${PACKAGE.stars}`,
      RATE_LIMIT_BURST: '100',
      BACKUP_CRON: 'off',
      BACKUP_VERIFY_CRON: 'off',
      ALERT_DELAY_MS: '0',
      ...(opts.webhook ? { BOT_MODE: 'webhook', WEBHOOK_URL: `http://127.0.0.1:${hookPort}/telegram/webhook`, WEBHOOK_SECRET: 'fault-suite-hook' } : {}),
    };
    const migrated = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/db/migrate.main.js')], { cwd: ROOT, env: this.env, encoding: 'utf8' });
    if (migrated.status !== 0) throw new Error(`migrations failed: ${migrated.stderr}`);
    this.knex = knexFactory({ client: 'pg', connection: this.pg.url(), pool: { min: 0, max: 2 } });
    this.redis = await connectRedis(createRedis({ REDIS_URL: this.env.REDIS_URL!, REDIS_CLUSTER_NODES: this.cluster?.nodes.split(',') }, 'worker'));
    for (const name of names) this.spawn(name);
    // Up when the bot answers.
    const probe = await this.client.createUser({ first_name: 'Probe' });
    await this.client.sendText(probe.id, '/start');
    await waitFor(async () => (await this.client.messages(probe.id)).length > 0, 'the platform answers /start', 60_000);
  }

  private spawn(name: string): void {
    // FAULTS_LOG_DIR=<dir> keeps each process's log (TEST_LOG_LEVEL=info for the detail) to read a failure by.
    const logDir = process.env.FAULTS_LOG_DIR;
    const out = logDir ? (mkdirSync(logDir, { recursive: true }), openSync(path.join(logDir, `${name}.log`), 'a')) : 'ignore';
    const port = this.webPorts.get(name);
    const env = port ? { ...this.env, WEB_PORT: String(port) } : this.env;
    const child = spawn(process.execPath, commandOf(name).map((a, i) => (i === 0 ? path.join(ROOT, a) : a)), { cwd: ROOT, env, stdio: ['ignore', out, 'pipe'] });
    if (typeof out === 'number') closeSync(out);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    child.once('exit', (code, signal) => {
      if (this.children.get(name) !== child) return;
      this.children.delete(name);
      if (this.stopping) return;
      if (signal !== 'SIGKILL') process.stderr.write(`[faults] ${name} exited (${code ?? signal}); restarting\n${stderr}\n`);
      this.restarts++;
      setTimeout(() => !this.stopping && this.spawn(name), 500).unref();
    });
    this.children.set(name, child);
  }

  /** SIGKILL of one process (restarted by the rig). */
  kill(name: string): void {
    const child = this.children.get(name);
    if (!child) return;
    this.kills++;
    this.killLog.push({ name, at: Date.now() });
    child.kill('SIGKILL');
  }

  /** Every SIGKILL this rig sent: which process and when (ms), for telling the send window's repeats apart. */
  readonly killLog: { name: string; at: number }[] = [];

  /** Every queue's counts, summed. */
  async jobCounts(): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { connection: this.redis, prefix: queuePrefix(this.redis, this.prefix, name) });
      const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'failed', 'completed', 'waiting-children');
      for (const [k, v] of Object.entries(counts)) totals[k] = (totals[k] ?? 0) + v;
      await queue.close();
    }
    return totals;
  }

  /** Failed jobs, by name and reason (for the report). */
  async failedJobs(): Promise<string[]> {
    const out: string[] = [];
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { connection: this.redis, prefix: queuePrefix(this.redis, this.prefix, name) });
      for (const job of await queue.getFailed(0, 50)) out.push(`${name}/${job.name}: ${job.failedReason}`);
      await queue.close();
    }
    return out;
  }

  /**
   * Waits until Telegram (the sandbox) holds no update the bot has not confirmed, nothing is queued, running or
   * delayed, and the outbox is empty — all of it for `calmMs` on end (a bot just restarted takes seconds to poll
   * again: an update it has not fetched yet is work too). Returns the ms it took.
   */
  async quiesce(timeoutMs: number, extra: () => Promise<boolean> = async () => true, calmMs = 3_000): Promise<number> {
    const began = Date.now();
    let calmSince: number | undefined;
    await waitFor(async () => {
      const pending = (await this.client.stats().catch(() => undefined))?.pendingUpdates ?? 1;
      const c = await this.jobCounts().catch(() => undefined);
      const open = await this.knex('outbox').whereNull('done_at').count<{ n: string }[]>({ n: '*' }).first().catch(() => undefined);
      // Job schedulers keep one delayed job each (sweep, relay, reconcile, prunes): those are not work.
      const busy = pending > 0 || !c || c.active! + c.waiting! + c.prioritized! + (c['waiting-children'] ?? 0) > 0 || (c.delayed ?? 0) > 6 || Number(open?.n ?? 1) > 0;
      if (busy) calmSince = undefined;
      else calmSince ??= Date.now();
      return calmSince !== undefined && Date.now() - calmSince >= calmMs && (await extra());
    }, 'the platform to settle', timeoutMs);
    return Date.now() - began;
  }

  async destroy(): Promise<void> {
    this.stopping = true;
    for (const child of this.children.values()) child.kill('SIGKILL');
    this.children.clear();
    await this.redis?.quit().catch(() => undefined);
    await this.knex?.destroy().catch(() => undefined);
    await this.sandbox?.close().catch(() => undefined);
    await this.balancer?.close().catch(() => undefined);
    await this.own?.destroy().catch(() => undefined);
    await this.cluster?.destroy().catch(() => undefined);
    await this.bouncer?.destroy().catch(() => undefined);
    this.pg?.destroy();
  }
}

/** What one simulated user did, for the invariants. */
export interface UserRun {
  id: number;
  paid: boolean;
  photo: boolean;
  voice: boolean;
  errors: string[];
}

/** The sandbox lists only what the bot sent. */
const bot = (msgs: SandboxMessage[]) => msgs;

/** Waits (patiently: faults are going on) for a bot message after `after` that matches. */
async function expectMessage(client: SandboxClient, userId: number, after: number, match: (m: SandboxMessage) => boolean, ms = 120_000): Promise<SandboxMessage> {
  let found: SandboxMessage | undefined;
  await waitFor(async () => !!(found = bot(await client.messages(userId).catch(() => [])).find((m) => m.message_id > after && match(m))), 'a reply', ms);
  return found!;
}

/**
 * One user's session: /start, /balance, a top-up paid in Stars, a paid avatar, a voice message (when `voice` is
 * given), plain text. Steps that need the bot's earlier answer (a button under it) wait for it; a step whose answer
 * never comes is recorded, not thrown: the invariants count it.
 */
export async function userSession(
  client: SandboxClient,
  i: number,
  media: { photo: Buffer; voice?: Buffer },
  updates: number[] = [],
  /** Which of the paid steps this user takes (both by default). */
  mix: { pay?: boolean; avatar?: boolean } = {},
): Promise<UserRun> {
  const user = await client.createUser({ first_name: `Load ${i}`, language_code: 'en' });
  const run: UserRun = { id: user.id, paid: false, photo: false, voice: false, errors: [] };
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      const u = await fn();
      const id = (u as { update_id?: number } | undefined)?.update_id;
      if (typeof id === 'number') updates.push(id);
    } catch (err) {
      run.errors.push(`${what}: ${(err as Error).message}`);
    }
  };
  await step('start', async () => {
    await client.sendText(user.id, '/start');
    await expectMessage(client, user.id, 0, (m) => /^Welcome to Switchyard/.test(m.text ?? ''));
  });
  await step('balance', () => client.sendText(user.id, '/balance'));
  if (mix.pay !== false) await step('topup', async () => {
    const u = await client.sendText(user.id, '/topup');
    const after = (u as { message: { message_id: number } }).message.message_id;
    const offer = await expectMessage(client, user.id, after, (m) => JSON.stringify(m.reply_markup ?? '').includes('topup:0'));
    await client.pressButton(user.id, offer.message_id, 'topup:0');
    const invoice = await expectMessage(client, user.id, offer.message_id, (m) => !!m.invoice);
    const paid = await client.payInvoice(user.id, invoice.message_id, { timeoutMs: 15_000 });
    run.paid = paid.ok === true;
    if (!paid.ok) run.errors.push(`payment not made: ${paid.error_message ?? 'no answer'}`);
  });
  if (mix.avatar !== false) await step('avatar', async () => {
    const u = await client.sendPhoto(user.id, media.photo, { width: 320, height: 240 });
    const source = (u as { message: { message_id: number } }).message.message_id;
    const offer = await expectMessage(client, user.id, source, (m) => JSON.stringify(m.reply_markup ?? '').includes(`avatar:style:${source}:`));
    await client.pressButton(user.id, offer.message_id, `avatar:style:${source}:square`);
    run.photo = true;
  });
  if (media.voice) {
    await step('voice', async () => {
      await client.sendVoice(user.id, media.voice!, { duration: 2, mime_type: 'audio/ogg' });
      run.voice = true;
    });
  }
  await step('text', () => client.sendText(user.id, 'hello there'));
  return run;
}

/** Runs `fn` over `items`, at most `width` at once. */
export async function pool<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export { bot as botMessages, sleep };
