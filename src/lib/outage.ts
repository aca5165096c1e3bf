/**
 * Whether an error says a dependency could not be reached — Postgres, Redis or Telegram refusing or dropping the
 * connection, timing out, or answering 5xx — rather than that the work is wrong. The job runner waits such failures
 * out (src/jobs/outage.ts); the Telegram adapter uses it to tell an unreachable Telegram from a bad request.
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
