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

export function sendApiError(res: Response, err: unknown): void {
  const e = err instanceof ApiError ? err : new ApiError(500, 'Internal Server Error');
  if (!(err instanceof ApiError)) console.error('[sandbox] unexpected error', err);
  if (res.headersSent || res.writableEnded) return;
  res.status(e.code).json({
    ok: false, error_code: e.code, description: e.description, ...(e.parameters ? { parameters: e.parameters } : {}),
  });
}

/** Query values can be repeated (arrays) in Express; the Bot API only knows scalars there. */
function flatQuery(query: Request['query']): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(query)) out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  return out;
}

const BOT_PATH = /^\/bot([^/]*)\/([^/]*)\/?$/;
const FILE_PATH = /^\/file\/bot([^/]+)\/(.+)$/;

async function handleBotCall(sandbox: Sandbox, req: Request, res: Response, token: string, method: string): Promise<void> {
  if (!TOKEN_RE.test(token)) return sendApiError(res, new ApiError(401, 'Unauthorized'));
  const bot = sandbox.bot(token);
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Json) : {};
  const uploads = new Map<string, Upload>();
  if (Array.isArray(req.files)) for (const f of req.files) uploads.set(f.fieldname, f);
  const gone = new AbortController();
  // 'close' also fires after a normal response; aborting then is harmless.
  res.on('close', () => gone.abort());
  try {
    const result = await invoke(bot, method, new Params({ ...flatQuery(req.query), ...body }, uploads), gone.signal);
    if (res.writableEnded || gone.signal.aborted) return;
    res.json(result instanceof Described
      ? { ok: true, result: result.result, description: result.description }
      : { ok: true, result });
  } catch (err) {
    sendApiError(res, err);
  }
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
