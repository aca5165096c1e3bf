import type { Update } from 'telegraf/types';
import { PayloadError } from '../jobs/enqueue';
import type { Actor } from '../jobs/payloads';

/** What the ingress reads off an update before any feature sees it (src/bot/ingress.ts). */

/** The updates Switchyard asks Telegram for (polling and webhook alike). */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'pre_checkout_query'] as const;

/**
 * Errors that repeat however often the update comes again: Telegram refusing a feature's call (400/403, e.g. an
 * old button's query), or a payload the catalogue refuses. Anything else (Redis, the network) is transient.
 */
export function isFinal(err: unknown): boolean {
  if (err instanceof PayloadError) return true;
  const code = (err as { code?: unknown; response?: { error_code?: number } })?.response?.error_code;
  return typeof code === 'number' && code >= 400 && code < 500 && code !== 429;
}

/** Who and where: the acting user and chat of an update, or undefined for updates no user sent. */
export function actorOf(update: Update): Actor | undefined {
  const u = update as Partial<Update.MessageUpdate & Update.CallbackQueryUpdate & Update.PreCheckoutQueryUpdate>;
  const from = u.message?.from ?? u.callback_query?.from ?? u.pre_checkout_query?.from;
  if (!from || from.is_bot) return undefined;
  const chatId = u.message?.chat.id ?? u.callback_query?.message?.chat.id ?? from.id;
  return { telegramId: from.id, chatId, username: from.username, languageCode: from.language_code };
}

