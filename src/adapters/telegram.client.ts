import { Telegram } from 'telegraf';
import type { InlineKeyboardMarkup, Message } from 'telegraf/types';
import { redact } from '../lib/logger';
import type { SharedMetrics } from '../observability/shared-metrics';

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

export interface SendOptions {
  parseMode?: 'HTML' | 'MarkdownV2';
  replyMarkup?: InlineKeyboardMarkup;
}

/** The workers' door to the Bot API. Handlers use this, never telegraf directly. */
export class TelegramClient {
  private readonly telegram: Telegram;

  constructor(
    token: string,
    apiRoot: string,
    private readonly metrics?: SharedMetrics,
  ) {
    this.telegram = new Telegram(token, { apiRoot });
  }

  /** Runs one Bot API call, counting it by method and result, and sorting its failure. */
  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.metrics?.inc('switchyard_telegram_calls_total', { method, result: 'ok' });
      return result;
    } catch (err) {
      const code = (err as TelegrafErrorShape)?.response?.error_code;
      this.metrics?.inc('switchyard_telegram_calls_total', { method, result: code ? String(code) : 'error' });
      throw classifyTelegramError(err);
    }
  }

  editMessageText(chatId: number, messageId: number, text: string): Promise<unknown> {
    return this.call('editMessageText', () => this.telegram.editMessageText(chatId, messageId, undefined, text, { link_preview_options: { is_disabled: true } }));
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
