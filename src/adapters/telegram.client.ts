import { Telegram } from 'telegraf';
import type { InlineKeyboardMarkup, Message } from 'telegraf/types';
import { isOutage } from '../lib/outage';
import { redact } from '../lib/logger';
import type { SharedMetrics } from '../observability/shared-metrics';

/** The Bot API's types the workers' code speaks in, handed on from here: outside this adapter, no telegraf. */
export type { InlineKeyboardMarkup, Message };

/** The user blocked the bot, or the chat is gone: stop sending to it, never retry. */
export class ChatUnreachableError extends Error {
  override readonly name = 'ChatUnreachableError';
}
/** Telegram asked us to slow down; not a failure of the job. */
export class TelegramRateLimitError extends Error {
  override readonly name = 'TelegramRateLimitError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/** A file the user sent is larger than we accept: refused before (or while) downloading, never retried. */
export class FileTooLargeError extends Error {
  override readonly name = 'FileTooLargeError';
}
/** Telegram refused the request as malformed (400): retrying the same request cannot succeed. */
export class TelegramBadRequestError extends Error {
  override readonly name = 'TelegramBadRequestError';
}

interface TelegrafErrorShape {
  code?: number;
  description?: string;
  response?: { error_code?: number; description?: string; parameters?: { retry_after?: number } };
  parameters?: { retry_after?: number };
}

/** Sorts a Bot API failure into what the caller must do; network and 5xx errors pass through as transient. */
export function classifyTelegramError(err: unknown): Error {
  const e = err as TelegrafErrorShape;
  const code = e?.response?.error_code ?? e?.code;
  const description = redact(e?.response?.description ?? e?.description ?? (err instanceof Error ? err.message : String(err)));
  if (code === 429) return new TelegramRateLimitError(description, e.response?.parameters?.retry_after ?? e.parameters?.retry_after ?? 1);
  if (code === 403 || (code === 400 && /chat not found|user is deactivated|PEER_ID_INVALID/i.test(description))) {
    return new ChatUnreachableError(description);
  }
  if (code === 400) return new TelegramBadRequestError(description);
  return err instanceof Error ? Object.assign(err, { message: redact(err.message) }) : new Error(description);
}

/**
 * A start-up call (getMe, setWebhook, deleteWebhook) made while Telegram is away (5xx, 429, the network) is tried
 * again, 0.5 s … 10 s apart (a 429's retry_after when it names one), for up to `budgetMs`, instead of the process
 * exiting and being restarted in a loop. Anything else (a wrong token: 401) throws at once.
 */
export async function untilReachable<T>(what: string, fn: () => Promise<T>, log: { warn(msg: string, meta?: object): void }, budgetMs: number): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let wait = 500, tries = 1; ; wait = Math.min(wait * 2, 10_000), tries++) {
    try {
      return await fn();
    } catch (err) {
      const sorted = classifyTelegramError(err);
      const limited = sorted instanceof TelegramRateLimitError;
      if ((!limited && !isOutage(err)) || Date.now() >= deadline) throw sorted;
      const ms = limited ? sorted.retryAfterSeconds * 1_000 : wait;
      log.warn(`${what}: Telegram is not reachable; trying again`, { error: sorted.message, tries, retry_in_ms: ms });
      await new Promise((r) => setTimeout(r, ms));
    }
  }
}

export interface SendOptions {
  parseMode?: 'HTML' | 'MarkdownV2';
  replyMarkup?: InlineKeyboardMarkup;
}

export interface StarsInvoice {
  title: string;
  description: string;
  /** 1-128 bytes, echoed back at pre-checkout and in successful_payment (signed by us; see invoice.ts). */
  payload: string;
  label: string;
  stars: number;
}

/** One side of a Stars transaction (TransactionPartner); only the fields we read. */
export interface StarTransactionPartner {
  /** "user" for payments and refunds; "fragment", "telegram_ads", "other"… for the rest. */
  type: string;
  /** For "user": "invoice_payment", "paid_media_payment", … */
  transaction_type?: string;
  user?: { id: number };
  invoice_payload?: string;
}

/** A Telegram Stars transaction (getStarTransactions); only the fields we read. */
export interface StarTransaction {
  /** A user's payment: its telegram_payment_charge_id; a refund: the id of the payment it refunds. */
  id: string;
  amount: number;
  /** Unix seconds. */
  date: number;
  /** Incoming (a user's payment). */
  source?: StarTransactionPartner;
  /** Outgoing (a refund to a user). */
  receiver?: StarTransactionPartner;
}

/** The workers' door to the Bot API. Handlers use this, never telegraf directly. */
export class TelegramClient {
  private readonly telegram: Telegram;

  constructor(
    token: string,
    apiRoot: string,
    private readonly metrics?: SharedMetrics,
    private readonly timeoutMs = 60_000,
  ) {
    this.telegram = new Telegram(token, { apiRoot });
    // telegraf waits up to 500 s for an answer: a call Telegram leaves hanging would hold its job (and its chat's
    // line) that long. Every call of this client gets our bound instead (TELEGRAM_TIMEOUT_SECONDS).
    const callApi = this.telegram.callApi.bind(this.telegram);
    this.telegram.callApi = ((method: never, payload: never, opts: { signal?: AbortSignal } = {}) =>
      callApi(method, payload, { ...opts, signal: (opts.signal ?? AbortSignal.timeout(timeoutMs)) as never })) as typeof callApi;
  }

  /** Runs one Bot API call, counting it by method and result, and sorting its failure. */
  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.metrics?.inc('switchyard_telegram_calls_total', { method, result: 'ok' });
      return result;
    } catch (err) {
      const code = (err as TelegrafErrorShape)?.response?.error_code;
      const timedOut = (err as Error)?.name === 'AbortError';
      this.metrics?.inc('switchyard_telegram_calls_total', { method, result: code ? String(code) : timedOut ? 'timeout' : 'error' });
      // No answer in time: an outage (ETIMEDOUT), waited out like a 5xx. Telegram may have done it: a send repeats.
      if (timedOut) throw Object.assign(new Error(`Telegram did not answer ${method} within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' });
      throw classifyTelegramError(err);
    }
  }

  editMessageText(chatId: number, messageId: number, text: string, options: SendOptions = {}): Promise<unknown> {
    return this.call('editMessageText', () =>
      this.telegram.editMessageText(chatId, messageId, undefined, text, {
        parse_mode: options.parseMode,
        reply_markup: options.replyMarkup,
        link_preview_options: { is_disabled: true },
      }),
    );
  }

  /** An invoice in Telegram Stars (currency XTR: no provider token, exactly one price). */
  sendInvoice(chatId: number, invoice: StarsInvoice, options: SendOptions = {}): Promise<Message.InvoiceMessage> {
    return this.call('sendInvoice', () =>
      this.telegram.sendInvoice(
        chatId,
        { title: invoice.title, description: invoice.description, payload: invoice.payload, provider_token: '', currency: 'XTR', prices: [{ label: invoice.label, amount: invoice.stars }] },
        { reply_markup: options.replyMarkup },
      ),
    );
  }

  /** Telegram waits at most 10 s for this answer; `errorMessage` is what the user reads when `ok` is false. */
  answerPreCheckoutQuery(queryId: string, ok: boolean, errorMessage?: string): Promise<unknown> {
    return this.call('answerPreCheckoutQuery', () => this.telegram.answerPreCheckoutQuery(queryId, ok, errorMessage));
  }

  /**
   * Downloads a file the user sent (getFile, then the file URL). Refuses files over `maxBytes` — by Telegram's
   * size first, then while reading — so a lying size cannot fill the worker's memory. It gives up after 60 s, or
   * when `signal` (a job's time bound) fires.
   */
  async download(fileId: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
    const file = await this.call('getFile', () => this.telegram.getFile(fileId));
    if ((file.file_size ?? 0) > maxBytes) throw new FileTooLargeError(`file is ${file.file_size} bytes, the limit is ${maxBytes}`);
    const url = await this.telegram.getFileLink(file);
    const res = await fetch(url, { signal: signal ? AbortSignal.any([AbortSignal.timeout(60_000), signal]) : AbortSignal.timeout(60_000) });
    if (!res.ok || !res.body) throw new Error(`file download failed: HTTP ${res.status}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) throw new FileTooLargeError(`file is over the limit of ${maxBytes} bytes`);
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }

  sendPhoto(chatId: number, bytes: Buffer, options: { filename: string; caption?: string; replyMarkup?: InlineKeyboardMarkup }): Promise<Message.PhotoMessage> {
    return this.call('sendPhoto', () =>
      this.telegram.sendPhoto(chatId, { source: bytes, filename: options.filename }, { caption: options.caption, reply_markup: options.replyMarkup }),
    );
  }

  /** A file as a document: Telegram keeps its bytes as they are (a photo is recompressed). */
  sendDocument(chatId: number, bytes: Buffer, options: { filename: string; caption?: string; replyMarkup?: InlineKeyboardMarkup }): Promise<Message.DocumentMessage> {
    return this.call('sendDocument', () =>
      this.telegram.sendDocument(chatId, { source: bytes, filename: options.filename }, { caption: options.caption, reply_markup: options.replyMarkup }),
    );
  }

  /** 2–10 photos as one album. Telegram allows no buttons under an album. */
  sendMediaGroup(chatId: number, photos: Array<{ bytes: Buffer; filename: string; caption?: string }>): Promise<Message[]> {
    return this.call('sendMediaGroup', () =>
      this.telegram.sendMediaGroup(chatId, photos.map((p) => ({ type: 'photo' as const, media: { source: p.bytes, filename: p.filename }, caption: p.caption }))),
    );
  }

  /** Gives a user back the Stars of one payment (Bot API 7.4; telegraf 4.16 has no helper for it). */
  refundStarPayment(userId: number, chargeId: string): Promise<unknown> {
    return this.call('refundStarPayment', () =>
      this.telegram.callApi('refundStarPayment' as never, { user_id: userId, telegram_payment_charge_id: chargeId } as never),
    );
  }

  /**
   * The bot's Stars transactions in chronological order (oldest first): `offset` skips that many, `limit` is 1-100
   * (Bot API 7.5; telegraf 4.16 has no helper for it).
   */
  async getStarTransactions(offset: number, limit: number): Promise<StarTransaction[]> {
    const result = (await this.call('getStarTransactions', () =>
      this.telegram.callApi('getStarTransactions' as never, { offset, limit } as never),
    )) as unknown as { transactions: StarTransaction[] };
    return result.transactions;
  }

  /** "typing…", "upload_photo"…: shown by the client for about 5 s or until the next message. */
  sendChatAction(chatId: number, action: 'typing' | 'upload_photo' | 'upload_document' | 'record_voice'): Promise<unknown> {
    return this.call('sendChatAction', () => this.telegram.sendChatAction(chatId, action));
  }

  sendMessage(chatId: number, text: string, options: SendOptions = {}): Promise<Message.TextMessage> {
    return this.call('sendMessage', () =>
      this.telegram.sendMessage(chatId, text, {
        parse_mode: options.parseMode,
        reply_markup: options.replyMarkup,
        link_preview_options: { is_disabled: true },
      }),
    );
  }
}
