import { badRequest } from './sandbox.util';
import type { Json } from './sandbox.types';

export interface Upload {
  buffer: Buffer;
  originalname: string;
  mimetype: string;
}

/**
 * Typed access to a Bot API call's parameters. The same call can arrive as query string,
 * JSON, urlencoded or multipart, so scalars may be strings and JSON-serialised fields
 * (reply_markup, entities, media, prices, ...) may be JSON text — both are accepted.
 */
export class Params {
  constructor(
    readonly raw: Json,
    readonly uploads: Map<string, Upload> = new Map(),
  ) {}

  has(name: string): boolean {
    const v = this.raw[name];
    return v !== undefined && v !== null && v !== '';
  }

  value(name: string): unknown {
    return this.raw[name];
  }

  str(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }

  requireStr(name: string, emptyError?: string): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw badRequest(emptyError ?? `parameter "${name}" is required`);
    return v;
  }

  int(name: string): number | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isInteger(n)) throw badRequest(`invalid ${name} specified`);
    return n;
  }

  requireInt(name: string, emptyError?: string): number {
    const n = this.int(name);
    if (n === undefined) throw badRequest(emptyError ?? `parameter "${name}" is required`);
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'boolean') return v;
    const s = String(v).toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    throw badRequest(`invalid ${name} specified`);
  }

  json<T>(name: string): T | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') return v as T;
    try {
      return JSON.parse(v) as T;
    } catch {
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }
}

const BUTTON_FIELDS = ['text', 'url', 'callback_data', 'web_app', 'login_url', 'switch_inline_query',
  'switch_inline_query_current_chat', 'switch_inline_query_chosen_chat', 'copy_text', 'callback_game', 'pay'];

/** Validates reply_markup the way Telegram rejects common bot bugs; returns it parsed. */
export function readReplyMarkup(params: Params): Json | undefined {
  const markup = params.json<Json>('reply_markup');
  if (markup === undefined) return undefined;
  if (typeof markup !== 'object' || Array.isArray(markup)) throw badRequest("can't parse reply keyboard markup JSON object");
  const rows = markup.inline_keyboard;
  if (rows === undefined) return markup;
  if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays');
  }
  for (const button of rows.flat() as Json[]) {
    if (typeof button?.text !== 'string') throw badRequest("can't parse inline keyboard button: Text must be a String");
    if (!BUTTON_FIELDS.some((a) => a !== 'text' && button[a] !== undefined)) {
      throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
    }
    const data = button.callback_data;
    if (data !== undefined) {
      const bytes = Buffer.byteLength(String(data));
      if (typeof data !== 'string' || bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID');
    }
  }
  return markup;
}

/**
 * Only inline keyboards are part of the Message object Telegram returns, and only with documented
 * button fields (client-library extras such as telegraf's `hide` are dropped, as Telegram does).
 */
export function echoedMarkup(markup: Json | undefined): Json | undefined {
  const rows = markup?.inline_keyboard;
  if (!Array.isArray(rows) || rows.length === 0) return undefined;
  const clean = (rows as Json[][]).map((row) => row.map((button) => {
    const out: Json = {};
    for (const key of BUTTON_FIELDS) if (button[key] !== undefined) out[key] = button[key];
    return out;
  }));
  return { inline_keyboard: clean };
}

/** A method result that also carries Telegram's optional top-level "description". */
export class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}
