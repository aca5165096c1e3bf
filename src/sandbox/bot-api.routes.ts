import type http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { coreMethods, type Handler } from './bot-api.core';
import { mediaMethods } from './bot-api.media';
import { messageMethods } from './bot-api.messages';
import { Described, Params, type Upload } from './bot-api.params';
import { paymentMethods } from './bot-api.payments';
import { TOKEN_RE, type BotState, type Sandbox } from './sandbox.state';
import type { Json } from './sandbox.types';
import { ApiError } from './sandbox.util';

// Method names are case-insensitive on api.telegram.org; stats use the documented spelling.
const METHODS = new Map<string, { name: string; handler: Handler }>();
for (const table of [coreMethods, messageMethods, mediaMethods, paymentMethods]) {
  for (const [name, handler] of Object.entries(table)) METHODS.set(name.toLowerCase(), { name, handler });
}

/** Runs one Bot API method for a bot, keeping per-method call and error statistics. */
export async function invoke(bot: BotState, method: string, params: Params, gone: AbortSignal): Promise<unknown> {
  const entry = METHODS.get(method.toLowerCase());
  if (!entry) throw new ApiError(404, 'Not Found: method not found');
  bot.stats.calls[entry.name] = (bot.stats.calls[entry.name] ?? 0) + 1;
  try {
    await bot.faults.check(entry.name);
    return await entry.handler({ bot, params, gone });
  } catch (err) {
    if (err instanceof ApiError) {
      if (err.code === 429) bot.stats.tooManyRequests++;
      else if (err.code === 403) bot.stats.forbidden++;
      else if (err.code === 409) bot.stats.conflicts++;
      else if (err.code === 400) bot.stats.badRequests++;
      else if (err.code >= 500) bot.stats.serverErrors++;
    }
    throw err;
  }
}

/** Where a Bot API call's answer goes: Express's response, or the raw one of the JSON fast path. */
interface Answer {
  /** Aborted when the client went away (or the response ended). */
  gone: AbortSignal;
  ended(): boolean;
  send(status: number, body: Json): void;
}

function errorBody(err: unknown): { status: number; body: Json } {
  const e = err instanceof ApiError ? err : new ApiError(500, 'Internal Server Error');
  if (!(err instanceof ApiError)) console.error('[sandbox] unexpected error', err);
  return { status: e.code, body: { ok: false, error_code: e.code, description: e.description, ...(e.parameters ? { parameters: e.parameters } : {}) } };
}

export function sendApiError(res: Response, err: unknown): void {
  const { status, body } = errorBody(err);
  if (res.headersSent || res.writableEnded) return;
  res.status(status).json(body);
}

/** Query values can be repeated (arrays) in Express; the Bot API only knows scalars there. */
function flatQuery(query: Request['query']): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(query)) out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  return out;
}

const BOT_PATH = /^\/bot([^/]*)\/([^/]*)\/?$/;
const FILE_PATH = /^\/file\/bot([^/]+)\/(.+)$/;

async function runBotCall(sandbox: Sandbox, token: string, method: string, fields: Json, uploads: Map<string, Upload>, answer: Answer): Promise<void> {
  const fail = (err: unknown) => {
    const { status, body } = errorBody(err);
    if (!answer.ended()) answer.send(status, body);
  };
  if (!TOKEN_RE.test(token)) return fail(new ApiError(401, 'Unauthorized'));
  const bot = sandbox.bot(token);
  try {
    const result = await invoke(bot, method, new Params(fields, uploads), answer.gone);
    if (answer.ended() || answer.gone.aborted) return;
    answer.send(200, result instanceof Described
      ? { ok: true, result: result.result as Json, description: result.description }
      : { ok: true, result: result as Json });
  } catch (err) {
    fail(err);
  }
}

function handleBotCall(sandbox: Sandbox, req: Request, res: Response, token: string, method: string): Promise<void> {
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Json) : {};
  const uploads = new Map<string, Upload>();
  if (Array.isArray(req.files)) for (const f of req.files) uploads.set(f.fieldname, f);
  const gone = new AbortController();
  // 'close' also fires after a normal response; aborting then is harmless.
  res.on('close', () => gone.abort());
  return runBotCall(sandbox, token, method, { ...flatQuery(req.query), ...body }, uploads, {
    gone: gone.signal,
    ended: () => res.headersSent || res.writableEnded,
    send: (status, json) => void res.status(status).json(json),
  });
}

const JSON_LIMIT_BYTES = 60 * 1024 * 1024;

/**
 * The fast path of the commonest call, a JSON POST to `/bot<token>/<method>` with no query string (what telegraf
 * and most clients send for everything but uploads): parsed and answered without Express's router and body
 * parsers, which cost more than the method itself (docs/PERFORMANCE.md). Same answers, same errors. Returns false
 * for any other request, which then goes through Express.
 */
export function fastBotCall(sandbox: Sandbox, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (req.method !== 'POST' || !req.url || req.url.includes('?') || !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return false;
  const call = BOT_PATH.exec(req.url);
  if (!call) return false;
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  const answer: Answer = {
    gone: gone.signal,
    ended: () => res.headersSent || res.writableEnded,
    send: (status, json) => {
      const text = JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    },
  };
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= JSON_LIMIT_BYTES) chunks.push(c);
  });
  req.on('end', () => {
    if (size > JSON_LIMIT_BYTES) return answer.send(413, errorBody(new ApiError(413, 'Request Entity Too Large')).body);
    let body: unknown = {};
    if (size > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      } catch {
        return answer.send(400, errorBody(new ApiError(400, "Bad Request: can't parse JSON body")).body);
      }
    }
    const fields = body && typeof body === 'object' && !Array.isArray(body) ? (body as Json) : {};
    void runBotCall(sandbox, call[1]!, call[2]!, fields, new Map(), answer);
  });
  req.on('error', () => gone.abort());
  return true;
}

/** `/bot<token>/<method>` and `/file/bot<token>/<file_path>`. Body parsers run before this. */
export function botApiRouter(sandbox: Sandbox): express.Router {
  sandbox.dispatch = (bot, method, params) => invoke(bot, method, new Params(params), sandbox.closeSignal);
  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    const call = BOT_PATH.exec(req.path);
    if (call) return void handleBotCall(sandbox, req, res, call[1], call[2]);
    const file = FILE_PATH.exec(req.path);
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const bot = sandbox.bots.get(file[1]);
    const rec = bot?.filesByPath.get(decodeURIComponent(file[2]));
    if (!bot || !rec) return sendApiError(res, new ApiError(404, 'Not Found'));
    bot.stats.fileDownloads++;
    const send = () => {
      if (res.writableEnded || res.destroyed) return;
      res.setHeader('content-type', rec.mime_type ?? 'application/octet-stream');
      res.status(200).end(rec.bytes);
    };
    if (bot.fileDelayMs > 0) setTimeout(send, bot.fileDelayMs).unref();
    else send();
  });
  return router;
}

/** Maps body-parser/multer failures onto Bot API error objects. */
export function apiErrorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const e = err as { type?: string; code?: string; status?: number };
  if (e.type === 'entity.too.large' || e.code === 'LIMIT_FILE_SIZE' || e.code === 'LIMIT_FIELD_VALUE') {
    return sendApiError(res, new ApiError(413, 'Request Entity Too Large'));
  }
  if (e.type === 'entity.parse.failed') return sendApiError(res, new ApiError(400, "Bad Request: can't parse JSON body"));
  if (typeof e.code === 'string' && e.code.startsWith('LIMIT_')) return sendApiError(res, new ApiError(400, `Bad Request: ${e.code}`));
  sendApiError(res, err);
}
