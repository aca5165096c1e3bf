import net from 'node:net';
import type { Config, QueueName } from '../config';
import { createKnex, ensureDatabase, migrateLatest } from '../db/knex';
import { closeRedis, connectRedis, createRedis } from '../lib/redis';
import { checkTranscriptTools, EngineSetupError } from '../adapters/speech';
import { BackupSetupError } from '../adapters/postgres-tools';
import { checkBackupSetup } from '../domain/backups/setup';

/** The commands that start each service on a Debian machine; shown when it cannot be reached. */
export const START_HINTS = {
  redis:
    "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no --dir /var/lib/redis --logfile /var/log/redis/redis.log" +
    '\n  (not installed? apt-get update && apt-get install -y redis-server)',
  postgres:
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' +
    '\n  (not installed? apt-get update && apt-get install -y postgresql)',
};

export class PreflightError extends Error {
  override readonly name: string = 'PreflightError';
}

/** A queue's own tools are missing or unusable here: `detail` says what and how to install them. */
export class QueueSetupError extends PreflightError {
  override readonly name = 'QueueSetupError';
  constructor(
    readonly queue: QueueName,
    readonly detail: string,
  ) {
    super(`${queue[0]!.toUpperCase()}${queue.slice(1)} cannot run: ${detail}\n  (To start without ${queue}: WORKER_QUEUES=all,-${queue})`);
  }
}

function hostOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith('redis') ? 6379 : 5432)}`;
}

async function tcpReachable(url: string, timeoutMs = 2_000): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol.startsWith('redis') ? 6379 : 5432));
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port, timeout: timeoutMs });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/** Redis answers PING; otherwise a message that says where we looked and how to start it. */
export async function checkRedis(config: Config): Promise<void> {
  const where = hostOf(config.REDIS_URL);
  if (!(await tcpReachable(config.REDIS_URL))) {
    throw new PreflightError(`Redis is not reachable at ${where} (REDIS_URL). Start it with:\n  ${START_HINTS.redis}`);
  }
  const redis = createRedis(config, 'producer', { retryStrategy: () => null });
  try {
    await connectRedis(redis, 3_000);
    await redis.ping();
  } catch (err) {
    throw new PreflightError(`Redis at ${where} refused us: ${(err as Error).message}`);
  } finally {
    await closeRedis(redis);
  }
}

/**
 * Postgres answers, the database exists (created if not) and the schema is migrated: on DATABASE_DIRECT_URL, like
 * `npm run migrate`. DATABASE_URL (a pooler, maybe) must answer too: the processes started next use it.
 */
export async function preparePostgres(config: Config): Promise<{ created: boolean; applied: string[] }> {
  const where = hostOf(config.DATABASE_DIRECT_URL);
  const direct = config.DATABASE_DIRECT_URL !== config.DATABASE_URL;
  if (!(await tcpReachable(config.DATABASE_DIRECT_URL))) {
    throw new PreflightError(`PostgreSQL is not reachable at ${where} (${direct ? 'DATABASE_DIRECT_URL' : 'DATABASE_URL'}). Start it with:\n  ${START_HINTS.postgres}`);
  }
  let created: boolean;
  try {
    created = await ensureDatabase(config.DATABASE_DIRECT_URL);
  } catch (err) {
    throw new PreflightError(`PostgreSQL at ${where} refused us: ${(err as Error).message}`);
  }
  const knex = createKnex(config.DATABASE_DIRECT_URL, { max: 1 });
  let applied: string[];
  try {
    applied = await migrateLatest(knex);
  } finally {
    await knex.destroy();
  }
  if (direct) {
    const pooled = createKnex(config.DATABASE_URL, { max: 1 });
    try {
      await pooled.raw('SELECT 1');
    } catch (err) {
      throw new PreflightError(`PostgreSQL answers at ${where} (DATABASE_DIRECT_URL), but not through DATABASE_URL (${hostOf(config.DATABASE_URL)}): ${(err as Error).message}`);
    } finally {
      await pooled.destroy();
    }
  }
  return { created, applied };
}

/**
 * ffmpeg and the transcript engine (TRANSCRIPT_ENGINE), when this machine's worker runs the transcripts queue: what
 * is missing and the command that installs it. The worker checks again when it starts.
 */
export const checkTranscripts = (config: Config): Promise<void> => checkQueueSetup(config, 'transcripts', () => checkTranscriptTools(config), EngineSetupError);

/**
 * pg_dump and pg_restore able to read this server, and a writable BACKUP_DIR, when this machine's worker runs the
 * backups queue (after Postgres is known to answer). The worker checks again when it starts.
 */
export const checkBackups = (config: Config): Promise<void> => checkQueueSetup(config, 'backups', () => checkBackupSetup(config), BackupSetupError);

/** A queue's own tools, checked only where it runs; their setup error becomes "<Queue> cannot run: … (how to skip it)". */
async function checkQueueSetup(config: Config, queue: QueueName, check: () => Promise<unknown>, setupError: new (...args: never[]) => Error): Promise<void> {
  if (!config.WORKER_QUEUES.includes(queue)) return;
  try {
    await check();
  } catch (err) {
    if (!(err instanceof setupError)) throw err;
    throw new QueueSetupError(queue, err.message);
  }
}
