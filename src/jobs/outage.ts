import type { Job } from 'bullmq';

/**
 * Outages are waited out, not failed. A job whose run failed because a dependency could not be reached — Postgres,
 * Redis or Telegram refusing or dropping the connection, timing out, or answering 5xx — waits (delayed, no attempt
 * spent) until the dependency is back, for up to OUTAGE_BUDGET_MINUTES from the first such failure; then its
 * attempts count again. The deadline lives in the job's data (`_outage`), so it survives the worker. Real errors
 * (a bad request, a bug) still spend attempts as before. See docs/RELIABILITY.md.
 */

/** Node and undici socket errors: the peer is away or the network between is. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);
/** Postgres SQLSTATEs of a server that is away, going away or not yet back (class 08: connection exception). */
const PG_AWAY = new Set(['57P01', '57P02', '57P03', '53300']);
const AWAY_MESSAGE =
  /Connection terminated|Connection is closed|enableOfflineQueue|Client has encountered a connection error|timeout exceeded when trying to connect|Timeout acquiring a connection|fetch failed|socket hang up|MaxRetriesPerRequestError|Reached the max retries per request/i;

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  response?: { error_code?: unknown };
}

/** Whether `err` (or an error it wraps) says a dependency could not be reached, rather than that the work is wrong. */
export function isOutage(err: unknown): boolean {
  let e = err as ErrorShape | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++, e = e.cause as ErrorShape | undefined) {
    const code = e.code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_AWAY.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    // Telegram (telegraf's TelegramError carries error_code as `code` and in the response): a server error.
    const status = typeof e.response?.error_code === 'number' ? e.response.error_code : typeof code === 'number' ? code : undefined;
    if (status !== undefined && status >= 500 && status < 600) return true;
    if (e.name === 'KnexTimeoutError' || e.name === 'MaxRetriesPerRequestError') return true;
    if (typeof e.message === 'string' && AWAY_MESSAGE.test(e.message)) return true;
  }
  return false;
}

/** What a job's data remembers of an outage it is waiting out. */
export interface OutageMark {
  /** Epoch ms after which the attempts count again. */
  until: number;
  /** How often it has waited (the next wait's length grows with it). */
  waits: number;
}

export function outageMark(job: Pick<Job, 'data'>): OutageMark | undefined {
  const mark = (job.data as { _outage?: OutageMark } | undefined)?._outage;
  return mark && typeof mark.until === 'number' ? mark : undefined;
}

/** True when this failure is an outage the job may still wait out (its budget not spent): no attempt is spent. */
export function waitsOutOutage(err: unknown, job: Pick<Job, 'data'>, now = Date.now()): boolean {
  if (!isOutage(err)) return false;
  const mark = outageMark(job);
  return mark === undefined || now < mark.until;
}

/** How long to wait before the next look: 1 s, 2 s, 4 s … up to 15 s, with jitter so a fleet does not return at once. */
export function outageDelayMs(waits: number, random = Math.random): number {
  const base = Math.min(15_000, 1_000 * 2 ** Math.min(waits, 4));
  return Math.round(base * (0.75 + random() * 0.5));
}
