import { hostname } from 'node:os';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

/** Fields that tie a log line to one update's journey: update → job → reply. */
export interface TraceContext {
  update_id?: number;
  job_id?: string;
  queue?: string;
  job?: string;
  user_id?: number;
  chat_id?: number;
}

/**
 * A logger whose every line carries these trace fields. Deliberately a winston child rather than
 * AsyncLocalStorage: on Node 20 ALS turns on promise hooks for the whole process, which measured as a third of
 * the ingress's CPU per update (docs/BENCHMARKS.md).
 */
export function traced(log: Logger, fields: TraceContext): Logger {
  const defined: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) defined[k] = v;
  return log.child(defined);
}

// A bot token in a URL (Telegram puts it in every path, right after "bot", so no word boundary) or anywhere else.
const TOKEN_RE = /(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}/g;
const SECRET_KEY_RE = /token|secret|password|authorization|cookie|api_?key/i;

/** Replaces bot tokens in text with a marker; exported for the HTTP error paths that build strings. */
export function redact(text: string): string {
  return text.replace(TOKEN_RE, '<redacted-token>');
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message), stack: value.stack && redact(value.stack) };
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY_RE.test(k) ? '<redacted>' : scrub(v, depth + 1);
  return out;
}

// winston keeps level/message on symbols too; copy only enumerable fields through scrub.
const redactFields = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    info[key] = SECRET_KEY_RE.test(key) ? '<redacted>' : scrub(info[key]);
  }
  return info;
});

export interface LoggerOptions {
  level?: string;
  dir?: string;
  service: string;
  /** Days of log files kept in `dir` (LOG_RETENTION_DAYS); older ones are deleted at the next rotation. */
  retentionDays?: number;
  /** Nothing on the console (tests that provoke failures on purpose); the critical log still records. */
  silent?: boolean;
}

/** One JSON line per event on stdout (and rotated files when `dir` is set). */
export function createLogger({ level = 'info', dir, service, retentionDays = 14, silent = false }: LoggerOptions): winston.Logger {
  // winston runs formats before transports filter by level; drop disabled levels first so a debug line
  // costs nothing on hot paths (ingress, job completion).
  const threshold = winston.config.npm.levels[level] ?? 2;
  // Security events (`security: '<kind>'`) pass whatever the level: the critical log keeps them all.
  const enabled = winston.format((info) => ((winston.config.npm.levels[info.level] ?? 0) <= threshold || typeof info.security === 'string' ? info : false));
  const format = winston.format.combine(enabled(), winston.format.timestamp(), redactFields(), winston.format.json());
  // `silent` quiets the console only: a transport added later (the critical log in Redis) still gets every line.
  const transports: winston.transport[] = [new winston.transports.Console({ silent })];
  if (dir) {
    transports.push(
      // The host name keeps replicas sharing a LOG_DIR volume out of each other's files (each container has its own).
      new DailyRotateFile({ dirname: dir, filename: `${service}-${hostname()}-%DATE%.log`, maxFiles: `${retentionDays}d`, maxSize: '100m', zippedArchive: true }),
    );
  }
  return winston.createLogger({ level, format, defaultMeta: { service }, transports });
}

export type Logger = winston.Logger;
