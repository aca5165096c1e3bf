import os from 'node:os';
import type { RedisClient } from '../lib/redis';
import Transport from 'winston-transport';
import { redact, type Logger } from '../lib/logger';
import { sourceVersion } from '../lib/version';

/**
 * The critical log: every entry at `error`, and every security event (a line logged with `security: '<kind>'`),
 * also goes to a capped Redis stream, so admins (`/logs`) and operators (the web page beside Bull Board) read what
 * went wrong without a log shipper, and it outlives process restarts. Only named fields are kept: level, message,
 * process kind, host, pid, version, the trace ids and the error text, all redacted. Free-text fields a line may
 * carry (a user's text, a username, a file name) never reach the stream.
 */

export interface CriticalEntry {
  id: string;
  at: string;
  level: string;
  message: string;
  service: string;
  host: string;
  pid: number;
  version: string;
  security?: string;
  error?: string;
  update_id?: number;
  job_id?: string;
  job?: string;
  queue?: string;
  user_id?: number;
  chat_id?: number;
}

const TRACE_FIELDS = ['update_id', 'job_id', 'job', 'queue', 'user_id', 'chat_id'] as const;

export const criticalLogKey = (prefix: string): string => `${prefix}:log:critical`;

/** An entry worth keeping: an error, or a security event at any level. */
export function isCritical(info: { level: string; security?: unknown }): boolean {
  return info.level === 'error' || typeof info.security === 'string';
}

function errorText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return redact(value).slice(0, 500);
  if (typeof value === 'object' && 'message' in value) return redact(String((value as { message: unknown }).message)).slice(0, 500);
  return undefined;
}

/** The stream's fields for one log line (already scrubbed by the logger's format): named fields only. */
export function criticalFields(info: Record<string, unknown>, where: { host: string; pid: number; version: string }): Omit<CriticalEntry, 'id'> {
  const entry: Omit<CriticalEntry, 'id'> = {
    at: typeof info.timestamp === 'string' ? info.timestamp : new Date().toISOString(),
    level: String(info.level),
    message: redact(String(info.message ?? '')).slice(0, 500),
    service: String(info.service ?? 'unknown'),
    ...where,
  };
  if (typeof info.security === 'string') entry.security = info.security.slice(0, 64);
  const error = errorText(info.error);
  if (error) entry.error = error;
  for (const key of TRACE_FIELDS) {
    const v = info[key];
    if (typeof v === 'number' || typeof v === 'string') (entry as unknown as Record<string, unknown>)[key] = v;
  }
  return entry;
}

class CriticalLogTransport extends Transport {
  private readonly where = { host: os.hostname(), pid: process.pid, version: sourceVersion() };
  private failures = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly max: number,
  ) {
    super({ level: 'debug' });
  }

  override log(info: Record<string, unknown> & { level: string }, done: () => void): void {
    done();
    if (!isCritical(info)) return;
    const entry = criticalFields(info, this.where);
    // Best effort: with Redis down the line is still on stdout and in the files; the stream cannot hold "Redis is down".
    this.redis.xadd(this.key, 'MAXLEN', '~', String(this.max), '*', 'entry', JSON.stringify(entry)).then(
      () => (this.failures = 0),
      () => void this.failures++,
    );
  }
}

/** From now on, this process's critical lines also go to the stream (capped near `max` entries). */
export function attachCriticalLog(log: Logger, redis: RedisClient, prefix: string, max: number): void {
  // Once per logger: the web process in webhook mode builds the bot's runtime on the same logger.
  if (attached.has(log)) return;
  attached.add(log);
  log.add(new CriticalLogTransport(redis, criticalLogKey(prefix), max));
}
const attached = new WeakSet<Logger>();

export type CriticalFilter = 'all' | 'error' | 'security';

/** Read access to the stream, for `/logs` (a worker) and the operators' page (web). */
export class CriticalLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  read(n: number, filter: CriticalFilter = 'all'): Promise<CriticalEntry[]> {
    return readCriticalLog(this.redis, this.prefix, n, filter);
  }
}

/** Reads the newest entries, newest first; `filter` keeps errors only or security events only. */
async function readCriticalLog(redis: RedisClient, prefix: string, n: number, filter: CriticalFilter): Promise<CriticalEntry[]> {
  const out: CriticalEntry[] = [];
  let end = '+';
  // Filtering happens here, so read in pages until n entries match or the stream is exhausted.
  for (let page = 0; page < 20 && out.length < n; page++) {
    const rows = (await redis.xrevrange(criticalLogKey(prefix), end, '-', 'COUNT', 200)) as [string, string[]][];
    for (const [id, fields] of rows) {
      const raw = fields[fields.indexOf('entry') + 1];
      if (!raw) continue;
      const entry = { id, ...(JSON.parse(raw) as Omit<CriticalEntry, 'id'>) };
      if (filter === 'error' && entry.level !== 'error') continue;
      if (filter === 'security' && !entry.security) continue;
      out.push(entry);
      if (out.length === n) break;
    }
    if (rows.length < 200) break;
    end = `(${rows[rows.length - 1]![0]}`;
  }
  return out;
}
