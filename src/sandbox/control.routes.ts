import express, { type Request, type Response } from 'express';
import { commandSets, commandsFor } from './bot-api.core';
import { sendApiError } from './bot-api.routes';
import { probeDuration, toVoice } from './sandbox.audio';
import { eventStream } from './sandbox.events';
import { imageMime } from './sandbox.files';
import { TOKEN_RE, toSandboxMessage, type BotState, type Sandbox } from './sandbox.state';
import type { FileKind } from './sandbox.types';
import { DEFAULT_LIMITS, type Json, type Limits } from './sandbox.types';
import { ApiError } from './sandbox.util';
import * as act from './user-actions';

/**
 * Control API for tests and the web chat: `/sandbox/<token>/...`, JSON in, `{ok, result}` out.
 * Errors use the Bot API error shape so one client-side check handles both APIs.
 */

type Action = (bot: BotState, req: Request) => unknown;

const num = (v: unknown, name: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ApiError(400, `${name} must be a number`);
  return n;
};
const body = (req: Request): Json => (req.body && typeof req.body === 'object' ? (req.body as Json) : {});
const opt = <T>(v: unknown): T | undefined => (v === undefined || v === null ? undefined : (v as T));
const KINDS = new Set<FileKind>(['photo', 'document', 'audio', 'voice', 'video', 'video_note']);

function validLimits(input: Json): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(key in DEFAULT_LIMITS)) throw new ApiError(400, `unknown limit "${key}"`);
    if (key === 'enabled') {
      if (typeof value !== 'boolean') throw new ApiError(400, 'enabled must be a boolean');
      out.enabled = value;
    } else {
      const n = num(value, key);
      if (n <= 0) throw new ApiError(400, `${key} must be positive`);
      (out as Record<string, number>)[key] = n;
    }
  }
  return out;
}

export function controlRouter(sandbox: Sandbox): express.Router {
  const router = express.Router({ mergeParams: true });
  const route = (method: 'get' | 'post' | 'delete', path: string, action: Action): void => {
    router[method](path, async (req: Request, res: Response) => {
      try {
        const token = String(req.params.token);
        if (!TOKEN_RE.test(token)) throw new ApiError(401, 'Unauthorized');
        const result = await action(sandbox.bot(token), req);
        if (!res.writableEnded) res.json({ ok: true, result: result ?? null });
      } catch (err) {
        sendApiError(res, err);
      }
    });
  };
  const p = (req: Request, name: string): number => num(req.params[name], name);

  route('get', '/users', (bot) => [...bot.users.values()].map((u) => ({ ...u.user, blocked: u.blocked })));
  route('post', '/users', (bot, req) => {
    const b = body(req);
    return act.createUser(bot, {
      id: b.id === undefined ? undefined : num(b.id, 'id'), first_name: opt(b.first_name), last_name: opt(b.last_name),
      username: opt(b.username), language_code: opt(b.language_code),
    });
  });
  route('post', '/groups', (bot, req) => {
    const b = body(req);
    return act.createGroup(bot, { id: b.id === undefined ? undefined : num(b.id, 'id'), title: opt(b.title) });
  });
  route('post', '/users/:userId/text', (bot, req) => {
    const b = body(req);
    return act.sendText(bot, p(req, 'userId'), String(b.text ?? ''), b.chat_id === undefined ? undefined : num(b.chat_id, 'chat_id'));
  });
  // JSON with base64 `data`, or multipart with the bytes in a `file` part and the other fields beside it (the web
  // chat's way: no base64 inflation). `convert: true` turns any audio into an OGG/Opus voice (ffmpeg) with its
  // duration; `probe: true` fills a missing duration with ffprobe's (best effort).
  route('post', '/users/:userId/media', async (bot, req) => {
    const b = body(req);
    const kind = b.kind as FileKind;
    if (!KINDS.has(kind)) throw new ApiError(400, `kind must be one of ${[...KINDS].join(', ')}`);
    const part = Array.isArray(req.files) ? req.files.find((f) => f.fieldname === 'file') : undefined;
    if (!part && typeof b.data !== 'string') throw new ApiError(400, 'data (base64) or a multipart "file" part is required');
    let bytes = part ? part.buffer : Buffer.from(b.data as string, 'base64');
    const n = (k: string): number | undefined => (b[k] === undefined || b[k] === '' ? undefined : num(b[k], k));
    const flag = (k: string): boolean => b[k] === true || b[k] === 'true' || b[k] === '1';
    let duration = n('duration');
    let mime = opt<string>(b.mime_type) || part?.mimetype || undefined;
    if (flag('convert')) {
      if (kind !== 'voice') throw new ApiError(400, 'convert is for kind voice only');
      const voice = await toVoice(bytes);
      bytes = voice.bytes;
      duration = voice.duration;
      mime = 'audio/ogg';
    } else if (flag('probe') && duration === undefined && kind !== 'photo' && kind !== 'document') {
      duration = await probeDuration(bytes);
    }
    return act.sendMedia(bot, p(req, 'userId'), {
      kind, bytes, caption: opt(b.caption) || undefined, // A converted voice is a new OGG file: Telegram's voice messages carry no name.
      file_name: flag('convert') ? undefined : opt(b.file_name) || (kind === 'photo' ? undefined : part?.originalname),
      mime_type: mime, width: n('width'), height: n('height'), duration,
      length: n('length'), declared_size: n('declared_size'), chat_id: n('chat_id'),
    });
  });
  route('post', '/users/:userId/press', (bot, req) =>
    act.pressButton(bot, p(req, 'userId'), num(body(req).message_id, 'message_id'), String(body(req).data ?? '')));
  route('post', '/users/:userId/pay', (bot, req) => {
    const b = body(req);
    const tamper = (b.tamper ?? undefined) as { invoice_payload?: unknown; total_amount?: unknown } | undefined;
    return act.payInvoice(bot, p(req, 'userId'), num(b.message_id, 'message_id'),
      b.timeout_ms === undefined ? undefined : num(b.timeout_ms, 'timeout_ms'),
      tamper && {
        invoice_payload: tamper.invoice_payload === undefined ? undefined : String(tamper.invoice_payload),
        total_amount: tamper.total_amount === undefined ? undefined : num(tamper.total_amount, 'tamper.total_amount'),
      });
  });
  // A Stars payment Telegram took whose successful_payment update was lost: ledger and charge only, no update.
  route('post', '/users/:userId/star-payments', (bot, req) => {
    const b = body(req);
    const payload = b.invoice_payload;
    if (typeof payload !== 'string' || Buffer.byteLength(payload) < 1 || Buffer.byteLength(payload) > 128) {
      throw new ApiError(400, 'invoice_payload must be 1-128 bytes');
    }
    const amount = num(b.amount, 'amount');
    if (!Number.isInteger(amount) || amount <= 0) throw new ApiError(400, 'amount must be a positive integer');
    if (b.charge_id !== undefined && b.charge_id !== null && (typeof b.charge_id !== 'string' || b.charge_id === '')) {
      throw new ApiError(400, 'charge_id must be a non-empty string');
    }
    return bot.recordStarPayment(p(req, 'userId'), { invoicePayload: payload, amount, chargeId: opt<string>(b.charge_id) });
  });
  route('post', '/users/:userId/block', (bot, req) => {
    act.blockBot(bot, p(req, 'userId'), body(req).blocked !== false);
    return true;
  });
  route('get', '/callbacks/:id', (bot, req) => act.callbackAnswer(bot, String(req.params.id)));
  route('get', '/chats/:chatId/messages', (bot, req) => {
    const count = req.query.wait_count === undefined ? 0 : num(req.query.wait_count, 'wait_count');
    const timeout = req.query.timeout_ms === undefined ? 5000 : num(req.query.timeout_ms, 'timeout_ms');
    return count > 0 ? act.waitForMessages(bot, p(req, 'chatId'), count, timeout) : bot.botMessages(p(req, 'chatId'));
  });
  // Both directions, for the web chat page.
  route('get', '/chats/:chatId/history', (bot, req) =>
    (bot.history.get(p(req, 'chatId')) ?? []).map((rec) => ({ outgoing: rec.outgoing, ...toSandboxMessage(rec) })));
  route('get', '/chats/:chatId/actions', (bot, req) => bot.actions.get(p(req, 'chatId')) ?? []);
  // The web chat's live updates (sandbox.events.ts): per bot, optionally for one chat.
  router.get('/events', eventStream(sandbox, 'query'));
  router.get('/chats/:chatId/events', eventStream(sandbox, 'path'));
  route('get', '/me', (bot) => bot.me);
  // What the bot set with setMyCommands: the list a user with this language (and chat) sees, as Telegram picks it.
  route('get', '/commands', (bot, req) => commandsFor(bot,
    req.query.chat_id === undefined ? undefined : num(req.query.chat_id, 'chat_id'),
    typeof req.query.language_code === 'string' ? req.query.language_code : undefined));
  route('get', '/commands/sets', (bot) => commandSets(bot));
  // A stored file's bytes (what users and the bot sent), for the web chat's <img>, <audio> and download links.
  router.get('/files/:fileId', (req: Request, res: Response) => {
    const token = String(req.params.token);
    const rec = TOKEN_RE.test(token) ? sandbox.bots.get(token)?.files.get(String(req.params.fileId)) : undefined;
    if (!rec) return sendApiError(res, new ApiError(404, 'Not Found: no such file'));
    const type = rec.kind === 'photo' ? imageMime(rec.bytes) ?? rec.mime_type : rec.mime_type;
    res.setHeader('content-type', type ?? 'application/octet-stream');
    res.setHeader('cache-control', 'private, max-age=3600');
    res.setHeader('x-content-type-options', 'nosniff');
    if (rec.file_name) res.setHeader('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(rec.file_name)}`);
    res.setHeader('accept-ranges', 'bytes');
    // <audio> and <video> read a file's end to learn an OGG's or WebM's duration: one byte range, as static servers do.
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    const total = rec.bytes.length;
    if (range && (range[1] !== '' || range[2] !== '')) {
      const start = range[1] === '' ? Math.max(0, total - Number(range[2])) : Number(range[1]);
      const end = range[1] === '' || range[2] === '' ? total - 1 : Math.min(total - 1, Number(range[2]));
      if (start >= total || start > end) {
        res.setHeader('content-range', `bytes */${total}`);
        return void res.status(416).end();
      }
      res.setHeader('content-range', `bytes ${start}-${end}/${total}`);
      return void res.status(206).end(rec.bytes.subarray(start, end + 1));
    }
    res.status(200).end(rec.bytes);
  });
  route('post', '/updates', (bot, req) => act.injectUpdate(bot, (body(req).update ?? body(req)) as Json));
  route('post', '/updates/:updateId/redeliver', (bot, req) => act.redeliver(bot, p(req, 'updateId')));
  route('get', '/stats', (bot) => ({ ...bot.stats, calls: { ...bot.stats.calls }, pendingUpdates: bot.queue.pendingCount }));
  route('get', '/limits', (bot) => bot.limiter.current);
  route('post', '/limits', (bot, req) => bot.limiter.configure(validLimits(body(req))));
  route('post', '/files/delay', (bot, req) => {
    const ms = Number((body(req) as { ms?: unknown }).ms);
    if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) throw new ApiError(400, 'Bad Request: ms must be a whole number from 0 to 600000');
    bot.fileDelayMs = ms;
    return { ms };
  });
  route('post', '/faults', (bot, req) => {
    const b = body(req);
    const code = Number(b.code);
    if (![400, 429, 500, 502, 503, 504].includes(code)) throw new ApiError(400, 'Bad Request: code must be 400, 429, 500, 502, 503 or 504');
    const methods = Array.isArray(b.methods) ? b.methods.map(String) : undefined;
    const n = (k: string): number | undefined => (b[k] === undefined ? undefined : num(b[k], k));
    bot.faults.add({ methods, code: code as 429, times: n('times'), forMs: n('for_ms'), retryAfter: n('retry_after'), hangMs: n('hang_ms'), description: opt(b.description) });
    return { injected: bot.faults.injected };
  });
  route('delete', '/faults', (bot) => {
    bot.faults.clear();
    return { injected: bot.faults.injected };
  });
  route('post', '/reset', (bot) => {
    bot.reset();
    return true;
  });
  return router;
}
