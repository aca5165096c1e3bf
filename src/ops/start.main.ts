import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { databaseOf } from '../db/knex';
import { checkBackups, checkRedis, checkTranscripts, preparePostgres, PreflightError, QueueSetupError } from './preflight';

type Feature = 'transcripts' | 'backups';

/** One notice per feature turned off: what is missing, how to install it, what is off. */
function offNotice(feature: Feature, err: QueueSetupError): string {
  const what = feature === 'transcripts' ? 'voice messages, audio files and video notes get "transcripts are not available on this server"' : 'scheduled backups, restore drills and /backup';
  return `\n${feature[0]!.toUpperCase()}${feature.slice(1)} are OFF: ${err.detail}\n  Off until then: ${what}.\n  (/readyz and the admin's /stats list it; START_STRICT=true refuses to start instead.)\n`;
}

/** The sandbox user the playground's "New admin user" button creates; below the sandbox's random user ids. */
const SANDBOX_ADMIN_ID = 4242;

const ROOT = path.resolve(__dirname, '..', '..', '..');
const COLORS = { sandbox: 35, bot: 36, worker: 33, web: 32 } as const;
type Name = keyof typeof COLORS;

/** Prefixes every line a child prints with its name, so four processes stay readable in one terminal. */
function pipe(name: Name, child: ChildProcess): void {
  const tag = process.stdout.isTTY ? `\x1b[${COLORS[name]}m${name.padEnd(7)}\x1b[0m| ` : `${name.padEnd(7)}| `;
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${tag}${line}\n`);
    });
  }
}

/**
 * `npm start` for local use: checks Redis and Postgres (saying how to start them), creates and migrates the
 * database, checks ffmpeg and the transcript engine, pg_dump and pg_restore (in development a missing one turns its
 * feature off with a notice), starts the Bot API sandbox when no BOT_TOKEN is set, then runs bot, worker and web.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Development comes up without a missing tool's feature; production, START_STRICT or a WORKER_QUEUES of one's
  // own refuse instead (the check's message says how to install or skip it).
  const degrade = config.NODE_ENV !== 'production' && !config.START_STRICT && !process.env.WORKER_QUEUES;
  const off: Feature[] = [...config.FEATURES_OFF];
  const tolerate = async (feature: Feature, check: () => Promise<void>) => {
    try {
      await check();
    } catch (err) {
      if (!degrade || !(err instanceof QueueSetupError)) throw err;
      if (!off.includes(feature)) off.push(feature);
      console.warn(offNotice(feature, err));
    }
  };
  await checkRedis(config);
  await tolerate('transcripts', () => checkTranscripts(config));
  const { created, applied } = await preparePostgres(config);
  await tolerate('backups', () => checkBackups(config));
  const db = databaseOf(config.DATABASE_DIRECT_URL);
  console.log(`Postgres: ${created ? `created database "${db}", ` : ''}${applied.length ? `applied ${applied.length} migration(s)` : 'schema up to date'}`);

  const env: NodeJS.ProcessEnv = { ...process.env };
  if (off.length) {
    env.FEATURES_OFF = off.join(',');
    env.WORKER_QUEUES = ['all', ...off.map((f) => `-${f}`)].join(',');
  }
  const children = new Map<Name, ChildProcess>();
  const start = (name: Name, script: string, extraEnv: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', script)], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    pipe(name, child);
    children.set(name, child);
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (!stopping) {
        console.error(`${name} exited (${signal ?? `code ${code}`}); stopping the others.`);
        void stop(1);
      }
    });
    return child;
  };

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const exits = [...children.values()].map((c) => new Promise((r) => c.once('exit', r)));
    for (const child of children.values()) child.kill('SIGTERM');
    await Promise.all(exits);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  if (!config.BOT_TOKEN) {
    const port = Number(process.env.SANDBOX_PORT ?? 8081);
    // A fresh bot id per run: update ids, offsets and dedupe keys of an earlier run cannot collide.
    env.BOT_TOKEN = `${1_000_000 + Math.floor(Math.random() * 8_999_999)}:${randomBytes(27).toString('base64url')}`;
    env.TELEGRAM_API_ROOT = `http://127.0.0.1:${port}`;
    env.BOT_MODE = 'polling';
    // The page's "New admin user" creates this user; it is an admin of the local bot only (never with a real token).
    env.SANDBOX_ADMIN_ID = String(SANDBOX_ADMIN_ID);
    env.ADMIN_IDS = [...new Set([...config.ADMIN_IDS, SANDBOX_ADMIN_ID])].join(',');
    const sandbox = start('sandbox', 'src/sandbox/main.js', { SANDBOX_PORT: String(port) });
    await new Promise<void>((resolve, reject) => {
      sandbox.stdout!.once('data', () => resolve());
      sandbox.once('exit', () => reject(new Error(`the sandbox did not start (is port ${port} free? set SANDBOX_PORT)`)));
    });
    console.log(
      `\nNo BOT_TOKEN set: running against the local Bot API sandbox.\n` +
        // The sandbox token is a local stand-in, not a secret: the page needs it to act as this bot's users.
        `  Talk to the bot in your browser: http://127.0.0.1:${port}/?token=${encodeURIComponent(env.BOT_TOKEN)}\n` +
        `  "New admin user" in the page makes user ${SANDBOX_ADMIN_ID}, an admin here: /stats, /audit, /grant … work for it.\n` +
        `  Bull Board: http://127.0.0.1:${config.WEB_PORT}/admin/queues (credentials printed by "web" below)\n` +
        `  Set BOT_TOKEN in .env to run against Telegram instead.\n`,
    );
  }
  if (config.BOT_MODE === 'polling' || !config.BOT_TOKEN) start('bot', 'src/bot/main.js');
  start('worker', 'workers/main.js');
  start('web', 'src/web/main.js');
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof PreflightError ? err.message : `npm start failed: ${(err as Error).message}`;
  console.error(message);
  process.exit(1);
});
