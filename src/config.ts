// Over 250 lines on purpose: every setting in one zod schema, so one parse checks them all and names each problem.
import { availableParallelism } from 'node:os';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

/** Telegram's production Bot API root; the sandbox or a self-hosted Bot API server replaces it. */
export const OFFICIAL_API_ROOT = 'https://api.telegram.org';

/** Features a deployment may run without, each with its own tools (FEATURES_OFF). */
export const FEATURES = ['transcripts', 'backups'] as const;
export type Feature = (typeof FEATURES)[number];

/**
 * Every queue Switchyard knows, by kind of work (docs/JOBS.md): `interactive` quick replies, `billing` money and
 * maintenance, `transcripts` and `avatars` heavy paid work, `notifications` sending, `backups` pg_dump. `WORKER_QUEUES`
 * picks from these.
 */
export const QUEUE_NAMES = ['interactive', 'billing', 'transcripts', 'avatars', 'notifications', 'backups'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

const int = (min: number, max: number) =>
  z.coerce.number({ message: `expected a whole number from ${min} to ${max}` }).int(`expected a whole number from ${min} to ${max}`)
    .min(min, `expected a whole number from ${min} to ${max}`).max(max, `expected a whole number from ${min} to ${max}`);
const url = (protocols: string[], hint: string) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `expected ${hint}`);
const csv = <T extends z.ZodType>(item: T) =>
  z.string().transform((v, ctx) => {
    const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
    const out: z.output<T>[] = [];
    for (const p of parts) {
      const r = item.safeParse(p);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? 'invalid item' });
        return z.NEVER;
      }
      out.push(r.data);
    }
    return out;
  });

/** A five-field cron expression (minute hour day month weekday), or `off`. */
const CRON_HINT = 'expected a five-field cron expression such as "0 3 * * *" (UTC), or off';
const cron = z
  .string()
  .trim()
  .regex(/^(off|\S+(\s+\S+){4})$/, CRON_HINT)
  .refine((v) => {
    if (v === 'off') return true;
    try {
      CronExpressionParser.parse(v, { tz: 'UTC' });
      return true;
    } catch {
      return false;
    }
  }, CRON_HINT)
  // null, not undefined: zod puts the default back in place of an undefined output.
  .transform((v) => (v === 'off' ? null : v.split(/\s+/).join(' ')));

/**
 * The whole environment of every Switchyard process, parsed once.
 * Each key is documented in README.md ("Configuration") and `.env.example`.
 */
export const configSchema = z.object({
  /** development | test | production; production refuses an unauthenticated Bull Board. */
  NODE_ENV: z.enum(['development', 'test', 'production'], { message: 'expected development, test or production' }).default('development'),
  /** Bot token from @BotFather; empty means "use the local sandbox" (npm start only). */
  BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'expected a token like 123456:ABC-DEF… from @BotFather').optional(),
  /** Bot API base URL (the sandbox, a local Bot API server, or Telegram). */
  TELEGRAM_API_ROOT: url(['http:', 'https:'], 'an http(s) URL such as https://api.telegram.org').default(OFFICIAL_API_ROOT),
  /** A Bot API call of a worker not answered within this long is given up and waited out as an outage (telegraf alone waits 500 s). */
  TELEGRAM_TIMEOUT_SECONDS: int(1, 600).default(60),
  /** polling: one leader behind a Redis lease; webhook: the web process receives updates. */
  BOT_MODE: z.enum(['polling', 'webhook'], { message: 'expected polling or webhook' }).default('polling'),
  /** Public HTTPS URL Telegram posts updates to (webhook mode). */
  WEBHOOK_URL: url(['http:', 'https:'], 'a public https URL ending in /telegram/webhook').optional(),
  /** Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -). */
  WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'expected 1-256 characters of A-Z, a-z, 0-9, _ and -').optional(),
  /** One Redis (or, with REDIS_CLUSTER_NODES, where the credentials and TLS of the cluster's nodes come from). */
  REDIS_URL: url(['redis:', 'rediss:'], 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster: some of its nodes (`host:port,host:port,…`; the client learns the rest). Every connection becomes
   * an ioredis Cluster and the keys take hash tags that spread the work over the shards (docs/SCALING.md). The
   * password and TLS (`rediss:`) come from REDIS_URL unless an entry is a redis:// or rediss:// URL itself.
   */
  REDIS_CLUSTER_NODES: csv(
    z.string().refine((v) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(v) || /^rediss?:\/\/[^\s]+:\d{1,5}\/?$/.test(v), 'expected host:port entries (or redis:// URLs with a port), separated by commas'),
  ).optional(),
  /** A CA certificate file (PEM) for TLS to Redis (`rediss:`), when the server's certificate is not publicly signed. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'a postgres:// URL').default('postgres://postgres@127.0.0.1:5432/switchyard'),
  /** on: the hot statements (ledger, users.ensure) are prepared once per connection (src/db/statements.ts); off behind PgBouncer < 1.21 in transaction mode. */
  DATABASE_PREPARED_STATEMENTS: z.enum(['on', 'off'], { message: 'expected on or off' }).default('on'),
  /**
   * Postgres itself, for what needs a session of its own: migrations, backups and restore drills (a session advisory
   * lock, an exported snapshot, pg_dump, pg_restore, CREATE / DROP DATABASE) and `npm run restore`. Unset: DATABASE_URL.
   * Set it when DATABASE_URL is a PgBouncer in transaction mode (docs/SCALING.md#pgbouncer).
   */
  DATABASE_DIRECT_URL: url(['postgres:', 'postgresql:'], 'a postgres:// URL').optional(),
  /** Postgres connections one process's pool opens at most (on DATABASE_URL); unset: 10 for a worker process, 5 for the web process. */
  DATABASE_POOL_MAX: int(1, 1000).optional(),
  /**
   * Prefix of every Redis key (queues, ingress, pacing, metrics). On Redis Cluster Switchyard adds the hash tags
   * itself, so the prefix must have no braces (docs/SCALING.md).
   */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_{}.-]{1,64}$/, 'expected 1-64 characters of A-Z, a-z, 0-9, _ . - { }').default('switchyard'),
  /**
   * Queues this worker process runs: `all`, a comma list, or `all` minus some (`all,-avatars`). The worker's
   * `--queues=` argument, when given, takes its place (the Procfile gives heavy queues their own processes so).
   */
  WORKER_QUEUES: z
    .string()
    .default('all')
    .transform((v, ctx) => {
      const items = v.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) return [...QUEUE_NAMES];
      const named = items.filter((n) => n !== 'all').map((n) => n.replace(/^-/, ''));
      const bad = named.filter((n) => !(QUEUE_NAMES as readonly string[]).includes(n));
      const excluded = items.filter((n) => n.startsWith('-')).map((n) => n.slice(1));
      const mixed = excluded.length > 0 && items.some((n) => n !== 'all' && !n.startsWith('-'));
      if (bad.length || mixed || (excluded.length > 0 && !items.includes('all'))) {
        ctx.addIssue({
          code: 'custom',
          message: `expected "all", "all,-<queue>…" or a comma list of ${QUEUE_NAMES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}`,
        });
        return z.NEVER;
      }
      if (items.includes('all')) return QUEUE_NAMES.filter((q) => !excluded.includes(q));
      return named as QueueName[];
    }),
  /**
   * Worker processes one `worker` command runs (`auto`: one per core), each running the same queues: one Node thread
   * no longer caps a box. A supervisor forks them and starts a crashed one again; the `--processes=` argument takes
   * its place (the Procfile's heavy queues use 1: their work already runs beside the Node thread).
   */
  WORKER_PROCESSES: z
    .string()
    .default('auto')
    .transform((v, ctx) => {
      if (v.trim() === 'auto') return Math.max(1, Math.min(availableParallelism(), 16));
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64) {
        ctx.addIssue({ code: 'custom', message: 'expected auto or a whole number from 1 to 64' });
        return z.NEVER;
      }
      return n;
    }),
  /** Jobs one worker process runs at once, per queue. */
  CONCURRENCY_INTERACTIVE: int(1, 1000).default(10),
  CONCURRENCY_BILLING: int(1, 1000).default(10),
  CONCURRENCY_TRANSCRIPTS: int(1, 64).default(1),
  CONCURRENCY_AVATARS: int(1, 64).default(4),
  CONCURRENCY_NOTIFICATIONS: int(1, 1000).default(20),
  CONCURRENCY_BACKUPS: int(1, 1).default(1),
  /** Messages per second the notifications workers send in total (Telegram allows about 30 per bot). */
  TELEGRAM_GLOBAL_RATE: int(1, 10_000).default(30),
  /** Send receipts older than this are deleted daily (`receipts.prune`): they guard against re-sends, which come within days. 0: kept for ever. */
  RECEIPTS_KEEP_DAYS: int(0, 3650).default(30),
  /** Retention (the daily `retention.prune`, 04:40 UTC), in days; 0 keeps that kind for ever. */
  AUDIT_KEEP_DAYS: int(0, 36_500).default(365),
  TRANSCRIPTS_KEEP_DAYS: int(0, 36_500).default(180),
  /** Avatar sets (with their stored images); a user's current avatar is never pruned. */
  AVATARS_KEEP_DAYS: int(0, 36_500).default(365),
  /** Closed outbox rows (docs/RELIABILITY.md#the-outbox). */
  OUTBOX_KEEP_DAYS: int(0, 3650).default(7),
  /** Failed jobs in every queue (Bull Board's "failed" tab). */
  FAILED_JOBS_KEEP_DAYS: int(0, 3650).default(7),
  /** Per private chat: sustained messages per second and burst (Telegram: about 1/s). */
  CHAT_RATE_PER_SECOND: z.coerce.number({ message: 'expected a number of messages per second' }).positive('expected a positive number').max(100).default(1),
  CHAT_BURST: int(1, 100).default(3),
  /** Per group chat: messages per minute (Telegram: 20). */
  GROUP_RATE_PER_MINUTE: int(1, 600).default(20),
  /** A chat whose next message is missing (removed by hand, lost) moves on after this long. */
  CHAT_STALL_MS: int(1_000, 600_000).default(10_000),
  /**
   * A reserved reply (docs/DELIVERY.md, order across updates) is waited for this long before the chat moves on: its
   * job is known to be queued, behind a backlog or an outage, so the chat waits longer than for a missing message.
   */
  CHAT_REPLY_WAIT_MS: int(1_000, 3_600_000).default(120_000),
  /** How long SIGTERM waits for in-flight jobs before handing them back. */
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(20_000),
  WEB_PORT: int(0, 65535).default(3000),
  /** Bull Board basic-auth credentials; required in production. */
  BOARD_USER: z.string().min(1, 'expected a non-empty user name').optional(),
  BOARD_PASSWORD: z.string().min(8, 'expected at least 8 characters').optional(),
  /** Read-only Bull Board account (optional): sees everything, changes nothing. */
  BOARD_VIEWER_USER: z.string().min(1, 'expected a non-empty user name').optional(),
  BOARD_VIEWER_PASSWORD: z.string().min(8, 'expected at least 8 characters').optional(),
  /** Basic-auth credentials for GET /metrics on the web process; without them only loopback may scrape. */
  METRICS_USER: z.string().min(1, 'expected a non-empty user name').optional(),
  METRICS_PASSWORD: z.string().min(8, 'expected at least 8 characters').optional(),
  /** Without metrics credentials: who may scrape — loopback, or also private networks (docker-compose). */
  METRICS_ALLOW: z.enum(['loopback', 'private'], { message: 'expected loopback or private' }).default('loopback'),
  /** Admin alerts: at most one per distinct failure per window; the first waits this long to count repeats. */
  ALERT_WINDOW_SECONDS: int(10, 86_400).default(600),
  /** Admins are told when a bot, worker or web process starts, stops or crashes (folded per minute; docs/OPERATIONS.md). */
  LIFECYCLE_NOTICES: z.enum(['on', 'off'], { message: 'expected on or off' }).default('on'),
  ALERT_DELAY_MS: int(0, 600_000).default(30_000),
  /** Coins every user gets once, at registration (0: none). */
  WELCOME_BONUS: int(0, 1_000_000).default(100),
  /** Prices in coins: per started minute of transcript, per avatar. */
  PRICE_TRANSCRIPT_PER_MINUTE: int(0, 1_000_000).default(10),
  PRICE_AVATAR: int(0, 1_000_000).default(20),
  /** Stars top-up packages offered by /topup: `coins:stars` pairs, comma separated. */
  TOPUP_PACKAGES: csv(
    z.string().regex(/^[1-9]\d{0,6}:[1-9]\d{0,5}$/, 'expected coins:stars pairs such as 100:50,550:250').transform((v) => {
      const [coins, stars] = v.split(':').map(Number) as [number, number];
      return { coins, stars };
    }),
  )
    .refine((p) => p.length >= 1 && p.length <= 8, 'expected 1 to 8 coins:stars pairs')
    .default([{ coins: 100, stars: 50 }, { coins: 550, stars: 250 }, { coins: 1200, stars: 500 }]),
  /** Largest photo (declared or real pixel count) an avatar is made from; bigger ones are refused before decoding. */
  AVATAR_MAX_MEGAPIXELS: int(1, 400).default(40),
  /** Transcripts: the speech-to-text engine (docs/TRANSCRIPTS.md). */
  TRANSCRIPT_ENGINE: z.enum(['pocketsphinx', 'openai', 'whisper-cpp'], { message: 'expected pocketsphinx, openai or whisper-cpp' }).default('pocketsphinx'),
  /** Longest voice or audio transcribed; longer ones are refused before anything is held or downloaded. */
  TRANSCRIPT_MAX_SECONDS: int(1, 4 * 3600).default(600),
  /** A transcript longer than this many characters comes as a .txt file instead of messages. */
  TRANSCRIPT_DOCUMENT_CHARS: int(1, 64_000).default(12_000),
  /** One try of a transcript job (download, ffmpeg, engine) is stopped after this long and retried. */
  TRANSCRIPT_TIMEOUT_SECONDS: int(10, 6 * 3600).default(900),
  /** Transcript retries (engine down or timing out): the first waits this long, each next one twice as long. */
  TRANSCRIPT_RETRY_SECONDS: z.coerce.number({ message: 'expected a number of seconds' }).min(0.01, 'expected at least 0.01').max(3600).default(10),
  /** The ffmpeg binary (a name on PATH or a path). */
  FFMPEG_BIN: z.string().min(1).default('ffmpeg'),
  /** pocketsphinx: binary and acoustic/language model folder (Debian: pocketsphinx, pocketsphinx-en-us). */
  POCKETSPHINX_BIN: z.string().min(1).default('pocketsphinx_continuous'),
  POCKETSPHINX_MODEL_DIR: z.string().min(1).default('/usr/share/pocketsphinx/model/en-us'),
  /** openai: any OpenAI-compatible server's base URL (…/v1), its key, model and per-request timeout. */
  TRANSCRIPT_API_URL: url(['http:', 'https:'], 'an http(s) URL such as https://api.openai.com/v1').default('https://api.openai.com/v1'),
  TRANSCRIPT_API_KEY: z.string().min(1).optional(),
  TRANSCRIPT_API_MODEL: z.string().min(1).max(200).default('whisper-1'),
  TRANSCRIPT_API_TIMEOUT_SECONDS: int(1, 3600).default(120),
  /** whisper-cpp: the whisper.cpp command-line binary and its ggml model file. */
  WHISPER_CPP_BIN: z.string().min(1).default('whisper-cli'),
  WHISPER_CPP_MODEL: z.string().min(1).optional(),
  /** Backups (docs/BACKUPS.md): where `pg_dump -Fc` files go; the folder must survive the process (a volume). */
  BACKUP_DIR: z.string().min(1).default('backups'),
  /** When `backup.run` runs (cron, UTC; `off`: only on demand) and when the newest backup is drilled again. */
  BACKUP_CRON: cron.default('0 3 * * *'),
  BACKUP_VERIFY_CRON: cron.default('0 15 * * *'),
  /** Retention: the newest verified backup of each of the last N days and of each of the last M ISO weeks. */
  BACKUP_KEEP_DAILY: int(1, 366).default(7),
  BACKUP_KEEP_WEEKLY: int(0, 520).default(4),
  /** A dump or a restore drill is stopped (and the try fails) after this long. */
  BACKUP_TIMEOUT_SECONDS: int(10, 24 * 3600).default(3600),
  /** Parallel jobs of pg_restore in drills and restores (`-j`). */
  BACKUP_RESTORE_JOBS: int(1, 32).default(2),
  /** The PostgreSQL client tools (Debian: postgresql-client), of the server's major version or newer. */
  PG_DUMP_BIN: z.string().min(1).default('pg_dump'),
  PG_RESTORE_BIN: z.string().min(1).default('pg_restore'),
  /**
   * Keys that encrypt sensitive columns (AES-256-GCM): base64 or hex of 32 bytes, comma separated; the first
   * encrypts, all decrypt (rotation: put the new key first). Required in production.
   */
  ENCRYPTION_KEY: z
    .string()
    .transform((v, ctx) => {
      const keys = v.split(',').map((s) => s.trim()).filter(Boolean).map((k) => (/^[0-9a-fA-F]{64}$/.test(k) ? Buffer.from(k, 'hex') : Buffer.from(k, 'base64')));
      if (keys.length === 0 || keys.some((k) => k.length !== 32)) {
        ctx.addIssue({ code: 'custom', message: 'expected keys of 32 bytes in base64 or hex, comma separated (openssl rand -base64 32)' });
        return z.NEVER;
      }
      return keys;
    })
    .optional(),
  /** Key that signs invoice payloads (HMAC-SHA256); unset → derived from BOT_TOKEN. */
  INVOICE_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  /** Below this balance the user is told, once per crossing (0: never). */
  LOW_BALANCE_THRESHOLD: int(0, 1_000_000).default(20),
  /** A hold still open this long after its job stopped existing or failed is released by the sweep. */
  HOLD_SWEEP_MINUTES: int(1, 7 * 24 * 60).default(15),
  /**
   * How long a job waits out an unreachable dependency (Postgres, Redis, Telegram: refused or reset connections,
   * timeouts, 5xx) without spending its attempts; past it, the attempts count again and the admins are told.
   */
  OUTAGE_BUDGET_MINUTES: int(1, 24 * 60).default(15),
  /**
   * The outbox relay (`outbox.relay`) runs this often, and queues rows committed this long ago that their own run
   * never relayed (its process died in between).
   */
  OUTBOX_RELAY_SECONDS: int(1, 3_600).default(10),
  /** A relayed row whose job has not completed this long after is looked up in BullMQ; a vanished job is relayed again. */
  OUTBOX_CONFIRM_SECONDS: int(5, 24 * 3_600).default(120),
  /** Relays of one row before it is given up (and the admins told). */
  OUTBOX_MAX_RELAYS: int(1, 100).default(5),
  /** Each worker process checks this often that its job schedules are still in Redis, and puts back any it lost. */
  SCHEDULES_CHECK_SECONDS: int(1, 3_600).default(60),
  /** Reconciliation with Telegram's Star transactions runs this often (minutes); 0 turns it off. */
  RECONCILE_EVERY_MINUTES: int(0, 24 * 60).default(10),
  /** A Star transaction younger than this is left for the next run: its `successful_payment` may still be on its way. */
  RECONCILE_GRACE_SECONDS: int(0, 24 * 3_600).default(300),
  /** How long a worker owns a job before another may take it over (BullMQ lock); a dead worker's job resumes after it. */
  JOB_LOCK_MS: int(1_000, 600_000).default(30_000),
  /**
   * How many times a job whose worker died (or stalled past its lock) is handed to another worker. A run of kills (a
   * deploy, a neighbour's OOM) is waited out; a job that takes its worker down every time still ends. Paid work ends
   * on its last recoverable run with its coins released and the user told (src/domain/billing/paid-work.ts).
   */
  JOB_MAX_STALLS: int(1, 100).default(5),
  /**
   * Features this deployment runs without (`transcripts`, `backups`): the bot answers their requests with "not
   * available on this server", and /readyz and /stats list them. `npm start` sets it in development when a tool
   * is missing (docs/OPERATIONS.md); an operator may set it on purpose. It turns no worker off by itself.
   */
  FEATURES_OFF: csv(z.enum(FEATURES, { message: 'expected transcripts or backups' })).default([]),
  /** `npm start` refuses to start when a tool is missing, instead of turning its feature off (always so in production). */
  START_STRICT: z.enum(['true', 'false'], { message: 'expected true or false' }).default('false').transform((v) => v === 'true'),
  /** Telegram user ids with admin rights, comma separated. */
  ADMIN_IDS: csv(z.coerce.number({ message: 'expected Telegram user ids (digits) separated by commas' }).int().positive('expected positive Telegram user ids')).default([]),
  /** One `job state` log line per job state change (waiting → active → completed / retrying / failed); docs/OBSERVABILITY.md. */
  LOG_JOB_STATES: z.enum(['on', 'off'], { message: 'expected on or off' }).default('on'),
  /** The critical log (errors and security events) in Redis keeps about this many entries (docs/OBSERVABILITY.md). */
  CRITICAL_LOG_MAX: int(100, 1_000_000).default(10_000),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug'], { message: 'expected error, warn, info or debug' }).default('info'),
  /** When set, logs are also written to daily-rotated files in this folder. */
  LOG_DIR: z.string().min(1).optional(),
  /** Days of LOG_DIR files kept (older ones are deleted at the next daily rotation). */
  LOG_RETENTION_DAYS: int(1, 3650).default(14),
  /** Inbound messages per user: bucket size and refill per minute. */
  RATE_LIMIT_BURST: int(1, 10_000).default(10),
  RATE_LIMIT_PER_MINUTE: int(1, 100_000).default(30),
  /** Lifetime of an idle dialog (FSM) state. */
  FSM_TTL_SECONDS: int(60, 30 * 86_400).default(86_400),
  /** Polling lease: a standby takes over at most this long after the leader dies. */
  POLLING_LEASE_TTL_MS: int(1_000, 120_000).default(10_000),
  /** Long-poll timeout passed to getUpdates. */
  POLLING_TIMEOUT_SECONDS: int(0, 50).default(25),
});

/** DATABASE_DIRECT_URL is always set once parsed (DATABASE_URL when the environment leaves it out). */
export type Config = Omit<z.output<typeof configSchema>, 'DATABASE_DIRECT_URL'> & { DATABASE_DIRECT_URL: string };

/** A configuration problem, told in one line that names the variable and the expected form. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses an environment (default `process.env`); throws ConfigError naming the first bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings in .env files mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  // Heroku and most PaaS give the web process its port in PORT: it stands in for an unset WEB_PORT.
  if (cleaned.WEB_PORT === undefined && cleaned.PORT !== undefined) cleaned.WEB_PORT = cleaned.PORT;
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? 'environment');
    const raw = env[key];
    // Secrets are never echoed; URLs lose any user:password part.
    const shown =
      raw === undefined ? '' : /TOKEN|SECRET|PASSWORD|KEY/.test(key) ? ' (value hidden)' : ` (got "${raw.replace(/\/\/[^/@]*@/, '//***@')}")`;
    throw new ConfigError(`Invalid configuration: ${key}: ${issue.message}${shown}`);
  }
  const config: Config = { ...result.data, DATABASE_DIRECT_URL: result.data.DATABASE_DIRECT_URL ?? result.data.DATABASE_URL };
  if (config.NODE_ENV === 'production' && !config.ENCRYPTION_KEY) {
    throw new ConfigError('Invalid configuration: ENCRYPTION_KEY is required in production (openssl rand -base64 32)');
  }
  if (config.TRANSCRIPT_ENGINE === 'whisper-cpp' && !config.WHISPER_CPP_MODEL) {
    throw new ConfigError('Invalid configuration: TRANSCRIPT_ENGINE=whisper-cpp needs WHISPER_CPP_MODEL (the ggml model file)');
  }
  if (config.REDIS_CLUSTER_NODES?.length && /[{}]/.test(config.QUEUE_PREFIX)) {
    throw new ConfigError('Invalid configuration: QUEUE_PREFIX: no braces with REDIS_CLUSTER_NODES; Switchyard tags the keys of each queue and chat itself (docs/SCALING.md)');
  }
  if (config.BOT_MODE === 'webhook' && (!config.WEBHOOK_URL || !config.WEBHOOK_SECRET)) {
    throw new ConfigError('Invalid configuration: BOT_MODE=webhook needs WEBHOOK_URL and WEBHOOK_SECRET');
  }
  return config;
}

let cached: Config | undefined;

/** The process's configuration: `.env` (if present) under the real environment, parsed once. */
export function loadConfig(): Config {
  if (!cached) {
    // dotenv never overrides variables already set by the environment.
    require('dotenv').config({ quiet: true });
    cached = parseConfig(process.env);
  }
  return cached;
}

/**
 * Runs a process entry point: a ConfigError (or any start-up error) ends the process with one line, exit 1.
 */
export function exitOnStartupError(err: unknown): never {
  const message = err instanceof ConfigError ? err.message : `Start-up failed: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
