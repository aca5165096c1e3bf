import type { Knex } from 'knex';
import { createBotRuntime, type BotRuntime } from '../../src/bot/bot-runtime';
import { PollingLeader } from '../../src/bot/polling';
import type { Config } from '../../src/config';
import { createKnex } from '../../src/db/knex';
import { startWorkerProcess, type WorkerProcess } from '../../workers/worker-process';
import { createLogger, type Logger } from '../../src/lib/logger';
import { SandboxClient } from '../../src/sandbox/sandbox.client';
import { startSandbox } from '../../src/sandbox/sandbox.server';
import { workerDefinitions } from '../../workers';
import { testConfig, testToken } from './env';
import { connectRedis, createRedis, deleteKeysWithPrefix, type RedisClient } from '../../src/lib/redis';

export interface StackOptions {
  /** Environment overrides for the test config. */
  env?: Record<string, string>;
  /** Run an in-process polling bot (default true). */
  bot?: boolean;
  /** Run in-process workers for every queue (default true). */
  workers?: boolean;
  /** The logger every part of the stack uses (default: silent, errors only). */
  log?: Logger;
  /** Sandbox rate limits; by default Telegram's are enforced. */
  limits?: Parameters<typeof startSandbox>[0] extends infer O ? (O extends { limits?: infer L } ? L : never) : never;
}

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/**
 * The whole platform in one test process, against the real sandbox, Redis and Postgres:
 * a user acts through `client`, the bot polls, workers run, replies land back in the sandbox.
 */
export class Stack {
  bot?: { runtime: BotRuntime; poller: PollingLeader };
  workers?: WorkerProcess;
  // Silent unless TEST_LOG_LEVEL asks: several tests provoke failures on purpose.
  readonly log: Logger;

  private constructor(
    readonly config: Config,
    readonly sandbox: Sandbox,
    readonly client: SandboxClient,
    readonly redis: RedisClient,
    readonly knex: Knex,
    log?: Logger,
  ) {
    this.log = log ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'error', service: 'test', silent: !process.env.TEST_LOG_LEVEL });
  }

  static async start(opts: StackOptions = {}): Promise<Stack> {
    const sandbox = await startSandbox({ limits: opts.limits });
    const token = testToken();
    const config = testConfig({ BOT_TOKEN: token, TELEGRAM_API_ROOT: sandbox.apiRoot, ...opts.env });
    const stack = new Stack(
      config,
      sandbox,
      new SandboxClient(sandbox.url, token),
      await connectRedis(createRedis(config, 'worker')),
      createKnex(config.DATABASE_URL, { max: 2 }, { prepared: config.DATABASE_PREPARED_STATEMENTS === 'on' }),
      opts.log,
    );
    if (opts.workers !== false) stack.workers = await startWorkerProcess(config, workerDefinitions, stack.log);
    if (opts.bot !== false) await stack.startBot();
    return stack;
  }

  async startBot(): Promise<void> {
    const runtime = await createBotRuntime(this.config, this.log);
    const poller = new PollingLeader(runtime.redis, runtime.bot.telegram, runtime.ingress, this.log, {
      prefix: this.config.QUEUE_PREFIX,
      botId: runtime.bot.botInfo!.id,
      leaseTtlMs: this.config.POLLING_LEASE_TTL_MS,
      timeoutSeconds: this.config.POLLING_TIMEOUT_SECONDS,
      standbyIntervalMs: 100,
    });
    poller.start();
    this.bot = { runtime, poller };
  }

  async stopBot(): Promise<void> {
    if (!this.bot) return;
    await this.bot.poller.stop();
    await this.bot.runtime.close();
    this.bot = undefined;
  }

  /** The environment of a real `bot` or `worker` process (the Procfile's) joining this stack; `extra` wins. */
  childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      BOT_TOKEN: this.config.BOT_TOKEN,
      TELEGRAM_API_ROOT: this.config.TELEGRAM_API_ROOT,
      REDIS_URL: this.config.REDIS_URL,
      ...(this.config.REDIS_CLUSTER_NODES?.length ? { REDIS_CLUSTER_NODES: this.config.REDIS_CLUSTER_NODES.join(',') } : {}),
      DATABASE_URL: this.config.DATABASE_URL,
      DATABASE_DIRECT_URL: this.config.DATABASE_DIRECT_URL,
      DATABASE_PREPARED_STATEMENTS: this.config.DATABASE_PREPARED_STATEMENTS,
      QUEUE_PREFIX: this.config.QUEUE_PREFIX,
      // One process per spawned worker: a test that kills it kills the process that runs the jobs.
      WORKER_PROCESSES: '1',
      ...extra,
    };
  }

  /** The user row as a worker left it. */
  user(telegramId: number) {
    return this.knex('users').where({ telegram_id: telegramId }).first();
  }

  /** A new sandbox user who sent /start and got the welcome (registered, welcome bonus credited). */
  async registered(lang = 'en') {
    const user = await this.client.createUser({ language_code: lang });
    await this.client.sendText(user.id, '/start');
    await this.client.waitForMessages(user.id, 1);
    return user;
  }

  /** A user's coins as the ledger left them (0 before the first posting). */
  async balanceOf(telegramId: number): Promise<number> {
    const row = await this.knex('balances as b').join('users as u', 'u.id', 'b.user_id').where('u.telegram_id', telegramId).first('b.coins');
    return Number(row?.coins ?? 0);
  }

  async stop(): Promise<void> {
    await this.stopBot();
    await this.workers?.close();
    await this.sandbox.close();
    await deleteKeysWithPrefix(this.redis, this.config.QUEUE_PREFIX);
    await this.redis.quit();
    await this.knex.destroy();
  }
}
