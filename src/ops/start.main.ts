import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { databaseOf } from '../db/knex';
import { checkBackups, checkRedis, checkTranscripts, preparePostgres, PreflightError } from './preflight';

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
 * database, checks ffmpeg and the transcript engine, pg_dump and pg_restore, starts the Bot API sandbox when no BOT_TOKEN is set, then runs bot, worker and web together.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  await checkRedis(config);
  await checkTranscripts(config);
  const { created, applied } = await preparePostgres(config);
  await checkBackups(config);
  const db = databaseOf(config.DATABASE_URL);
  console.log(`Postgres: ${created ? `created database "${db}", ` : ''}${applied.length ? `applied ${applied.length} migration(s)` : 'schema up to date'}`);

  const env: NodeJS.ProcessEnv = { ...process.env };
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
    const sandbox = start('sandbox', 'src/sandbox/main.js', { SANDBOX_PORT: String(port) });
    await new Promise<void>((resolve, reject) => {
      sandbox.stdout!.once('data', () => resolve());
      sandbox.once('exit', () => reject(new Error(`the sandbox did not start (is port ${port} free? set SANDBOX_PORT)`)));
    });
    console.log(
      `\nNo BOT_TOKEN set: running against the local Bot API sandbox.\n` +
        // The sandbox token is a local stand-in, not a secret: the page needs it to act as this bot's users.
        `  Talk to the bot in your browser: http://127.0.0.1:${port}/?token=${encodeURIComponent(env.BOT_TOKEN)}\n` +
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
