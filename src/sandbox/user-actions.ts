import { detectEntities } from './bot-api.messages';
import { describeFile, registerFile } from './sandbox.files';
import type { BotState, MsgRec } from './sandbox.state';
import type { Chat, FileKind, FileMeta, Json, SandboxMessage, Update, User } from './sandbox.types';
import { ApiError, chatInstance, compact, queryId, randomToken, randomUserId, unixNow } from './sandbox.util';

/** What a simulated Telegram user (or the test driving them) can do. */

const controlError = (code: number, what: string): ApiError => new ApiError(code, what);

export function createUser(bot: BotState, opts: Partial<User> = {}): User {
  let id = opts.id ?? randomUserId();
  while (opts.id === undefined && bot.users.has(id)) id = randomUserId();
  const user: User = compact({
    id, is_bot: false, first_name: opts.first_name ?? 'Test', last_name: opts.last_name,
    username: opts.username, language_code: opts.language_code ?? 'en',
  });
  bot.users.set(id, { user, blocked: false });
  bot.chats.set(id, compact({
    id, type: 'private', first_name: user.first_name, last_name: user.last_name, username: user.username,
  }) as Chat);
  return user;
}

export function createGroup(bot: BotState, opts: { id?: number; title?: string } = {}): Chat {
  const id = opts.id ?? -randomUserId();
  if (id >= 0) throw controlError(400, 'group ids must be negative');
  const chat: Chat = { id, type: 'group', title: opts.title ?? 'Sandbox Group' };
  bot.chats.set(id, chat);
  return chat;
}

function userOf(bot: BotState, userId: number): { user: User; blocked: boolean } {
  const entry = bot.users.get(userId);
  if (!entry) throw controlError(404, `user ${userId} not found; create it with createUser first`);
  return entry;
}

/** Telegram reports block/unblock to the bot as a my_chat_member update. */
export function blockBot(bot: BotState, userId: number, blocked = true): Update | null {
  const entry = userOf(bot, userId);
  if (entry.blocked === blocked) return null;
  entry.blocked = blocked;
  const member = (status: string): Json => compact({ user: bot.me, status, until_date: status === 'kicked' ? 0 : undefined });
  return bot.pushUpdate({
    my_chat_member: {
      chat: bot.chats.get(userId), from: entry.user, date: unixNow(),
      old_chat_member: member(blocked ? 'member' : 'kicked'), new_chat_member: member(blocked ? 'kicked' : 'member'),
    },
  });
}

/**
 * The chat the user writes in. A user who blocked the bot can still write to it (the update is
 * delivered, the bot's replies then fail with 403) until blockBot(userId, false) is called.
 */
function userChat(bot: BotState, userId: number, chatId?: number): { user: User; chat: Chat } {
  const entry = userOf(bot, userId);
  const chat = bot.chats.get(chatId ?? userId);
  if (!chat) throw controlError(404, `chat ${chatId} not found`);
  return { user: entry.user, chat };
}

export function sendText(bot: BotState, userId: number, text: string, chatId?: number): Update {
  if (typeof text !== 'string' || text === '') throw controlError(400, 'text is required');
  const { user, chat } = userChat(bot, userId, chatId);
  const rec = bot.addMessage(chat, { from: user, text, entities: detectEntities(text) });
  return bot.pushUpdate({ message: rec.message });
}

export interface MediaInput extends FileMeta {
  kind: FileKind;
  bytes: Buffer;
  caption?: string;
  chat_id?: number;
}

export function sendMedia(bot: BotState, userId: number, input: MediaInput): Update {
  const { user, chat } = userChat(bot, userId, input.chat_id);
  const file = registerFile(bot, input.kind, input.bytes, input);
  const rec = bot.addMessage(chat, compact({
    from: user, [input.kind]: describeFile(file, input), caption: input.caption || undefined,
  }));
  return bot.pushUpdate({ message: rec.message });
}

function botMessage(bot: BotState, chatId: number, messageId: number): MsgRec {
  const rec = bot.findMessage(chatId, messageId);
  if (!rec || rec.deleted || !rec.outgoing) throw controlError(404, `bot message ${messageId} not found in chat ${chatId}`);
  return rec;
}

/** Like tapping an inline button: only buttons that are really on the message can be pressed. */
export function pressButton(bot: BotState, userId: number, messageId: number, data: string): { update: Update; callbackQueryId: string } {
  const { user, chat } = userChat(bot, userId);
  const rec = botMessage(bot, chat.id, messageId);
  const rows = (rec.message.reply_markup?.inline_keyboard ?? []) as Json[][];
  if (!rows.flat().some((b) => b.callback_data === data)) {
    throw controlError(400, `message ${messageId} has no inline button with callback_data ${JSON.stringify(data)}`);
  }
  const id = queryId();
  bot.callbacks.set(id, { chatId: chat.id, answer: null });
  const update = bot.pushUpdate({
    callback_query: { id, from: user, message: rec.message, chat_instance: chatInstance(bot.id, chat.id), data },
  });
  return { update, callbackQueryId: id };
}

export function callbackAnswer(bot: BotState, id: string): { text?: string; show_alert: boolean; url?: string } | null {
  const rec = bot.callbacks.get(id);
  if (!rec) throw controlError(404, `callback query ${id} not found`);
  return rec.answer;
}

export interface PayResult {
  ok: boolean;
  error_message?: string;
  update?: Update;
  telegram_payment_charge_id?: string;
}

/**
 * The checkout flow: pre_checkout_query, wait (Telegram allows 10 s) for answerPreCheckoutQuery,
 * then the successful_payment service message.
 */
export async function payInvoice(
  bot: BotState,
  userId: number,
  messageId: number,
  timeoutMs = 10_000,
  /** What a forged client (or a man in the middle) would change: the bot must notice at pre-checkout. */
  tamper: { invoice_payload?: string; total_amount?: number } = {},
): Promise<PayResult> {
  const { user, chat } = userChat(bot, userId);
  const rec = botMessage(bot, chat.id, messageId);
  const invoice = rec.message.invoice;
  if (!invoice || !rec.invoice) throw controlError(400, `message ${messageId} is not an invoice`);
  const query = {
    id: queryId(), from: user, currency: invoice.currency, total_amount: tamper.total_amount ?? invoice.total_amount,
    invoice_payload: tamper.invoice_payload ?? rec.invoice.payload,
  };
  const pending = { query, deadline: Date.now() + timeoutMs, answer: null as { ok: boolean; error_message?: string } | null };
  bot.preCheckouts.set(query.id, pending);
  bot.pushUpdate({ pre_checkout_query: query });
  while (!pending.answer && Date.now() < pending.deadline && !bot.sandbox.closed) {
    await bot.changed.wait(pending.deadline - Date.now(), bot.sandbox.closeSignal);
  }
  const answer = pending.answer as { ok: boolean; error_message?: string } | null;
  const refuse = (error_message: string | undefined): PayResult => {
    // The client shows the refusal on the invoice (unless an earlier checkout of it went through).
    if (rec.checkout?.status !== 'paid') {
      rec.checkout = compact({ status: 'refused' as const, error_message });
      bot.emit({ type: 'edit', chat_id: chat.id, message_id: messageId });
    }
    return { ok: false, error_message };
  };
  if (!answer) return refuse(`bot did not answer pre_checkout_query within ${timeoutMs} ms`);
  if (!answer.ok) return refuse(answer.error_message);
  const chargeId = invoice.currency === 'XTR' ? `stx${randomToken(36)}` : `${Date.now()}_${randomToken(9)}`;
  bot.charges.set(chargeId, { userId, currency: invoice.currency, amount: invoice.total_amount, refunded: false });
  const paid = bot.addMessage(chat, {
    from: user,
    successful_payment: {
      currency: invoice.currency, total_amount: invoice.total_amount, invoice_payload: rec.invoice.payload,
      telegram_payment_charge_id: chargeId,
      provider_payment_charge_id: invoice.currency === 'XTR' ? '' : `sandbox_${randomToken(12)}`,
    },
  });
  rec.checkout = { status: 'paid' };
  bot.emit({ type: 'edit', chat_id: chat.id, message_id: messageId });
  return { ok: true, update: bot.pushUpdate({ message: paid.message }), telegram_payment_charge_id: chargeId };
}

/** Server-side long poll for the control API's waitForMessages. */
export async function waitForMessages(bot: BotState, chatId: number, count: number, timeoutMs: number): Promise<SandboxMessage[]> {
  const deadline = Date.now() + timeoutMs;
  let list = bot.botMessages(chatId);
  while (list.length < count && Date.now() < deadline && !bot.sandbox.closed) {
    await bot.changed.wait(deadline - Date.now(), bot.sandbox.closeSignal);
    list = bot.botMessages(chatId);
  }
  return list;
}

/** Telegram may deliver an update twice; re-queue the very same object (same update_id). */
export function redeliver(bot: BotState, updateId: number): Update {
  const update = bot.updateLog.get(updateId);
  if (!update) throw controlError(404, `update ${updateId} not found`);
  bot.pushRaw(update, true);
  return update;
}

export function injectUpdate(bot: BotState, body: Json): Update {
  if (!body || typeof body !== 'object') throw controlError(400, 'update must be an object');
  const { update_id, ...rest } = body;
  if (update_id === undefined) return bot.pushUpdate(rest);
  if (!Number.isInteger(update_id)) throw controlError(400, 'update_id must be an integer');
  const update = { ...rest, update_id } as Update;
  bot.pushRaw(update, false);
  return update;
}
