import type { Ctx, Handler } from './bot-api.core';
import { Params, echoedMarkup, readReplyMarkup } from './bot-api.params';
import type { BotState, MsgRec } from './sandbox.state';
import type { Chat, Json, Message, MessageEntity } from './sandbox.types';
import { badRequest, compact, unixNow } from './sandbox.util';

export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;

/** Telegram auto-detects /commands (optionally /cmd@bot) that start a word. Offsets are UTF-16 units. */
export function detectEntities(text: string): MessageEntity[] | undefined {
  const found: MessageEntity[] = [];
  const re = /(^|\s)(\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)(?=$|[\s.,!?;:)])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    found.push({ type: 'bot_command', offset: m.index + m[1].length, length: m[2].length });
  }
  return found.length ? found : undefined;
}

function readEntities(params: Params, name: string): MessageEntity[] | undefined {
  const entities = params.json<unknown>(name);
  if (entities === undefined) return undefined;
  if (!Array.isArray(entities)) throw badRequest(`can't parse ${name} JSON object`);
  for (const e of entities as Json[]) {
    if (typeof e?.type !== 'string' || !Number.isInteger(e.offset) || !Number.isInteger(e.length)) {
      throw badRequest("can't parse entities: entity must have type, offset and length");
    }
  }
  return entities.length ? (entities as MessageEntity[]) : undefined;
}

export function checkText(text: string | undefined): string {
  if (text === undefined || text.trim() === '') throw badRequest('message text is empty');
  if (text.length > MAX_TEXT) throw badRequest('message is too long');
  return text;
}

export function checkCaption(caption: string | undefined): void {
  if (caption !== undefined && caption.length > MAX_CAPTION) throw badRequest('message caption is too long');
}

/** Caption plus its entities, as shared by all send* media methods. */
export function captionFields(params: Params, caption = params.str('caption')): Partial<Message> {
  checkCaption(caption);
  if (!caption) return {};
  return { caption, caption_entities: readEntities(params, 'caption_entities') };
}

// Formatting is not rendered by the sandbox (text is stored as sent), but unknown modes are refused like on Telegram.
export function checkParseMode(mode: string | undefined): void {
  if (mode && !['html', 'markdown', 'markdownv2'].includes(mode.toLowerCase())) throw badRequest('unsupported parse_mode');
}

/** A stored message as it appears nested in reply_to_message (which never nests further). */
function asReplied(rec: MsgRec): Message {
  const { reply_to_message: _nested, ...rest } = rec.message;
  return rest;
}

/**
 * Fields every sending method shares (from, reply, markup, notification flag).
 * Validation happens here, before any rate-limit token is spent.
 */
export function outgoing(ctx: Ctx, chat: Chat): { fields: Partial<Message>; extra: Partial<MsgRec> } {
  const { bot, params } = ctx;
  checkParseMode(params.str('parse_mode'));
  const markup = readReplyMarkup(params);
  const reply = params.json<Json>('reply_parameters');
  const replyId = reply?.message_id ?? params.int('reply_to_message_id');
  const allowMissing = reply?.allow_sending_without_reply ?? params.bool('allow_sending_without_reply');
  let replyTo: Message | undefined;
  if (replyId !== undefined) {
    const target = bot.findMessage(chat.id, Number(replyId));
    if (target && !target.deleted) replyTo = asReplied(target);
    else if (!allowMissing) throw badRequest('message to be replied not found');
  }
  return {
    fields: { from: bot.me, reply_to_message: replyTo, reply_markup: echoedMarkup(markup) },
    extra: {
      outgoing: true, markup, parse_mode: params.str('parse_mode'), disable_notification: params.bool('disable_notification'),
    },
  };
}

function sendMessage(ctx: Ctx): Message {
  const { bot, params } = ctx;
  const chat = bot.targetChat(params.value('chat_id'));
  const text = checkText(params.str('text'));
  const entities = readEntities(params, 'entities') ?? detectEntities(text);
  const { fields, extra } = outgoing(ctx, chat);
  bot.spend(chat.id, 1);
  const linkPreview = params.json<Json>('link_preview_options');
  return bot.addMessage(chat, { ...fields, text, entities, link_preview_options: linkPreview }, extra).message;
}

/** Common lookup for edit* methods; inline messages don't exist in the sandbox. */
function editable(bot: BotState, params: Params): { chat: Chat; rec: MsgRec } {
  if (params.has('inline_message_id')) throw badRequest('MESSAGE_ID_INVALID');
  const chat = bot.targetChat(params.value('chat_id'));
  const messageId = params.requireInt('message_id', 'message identifier is not specified');
  const rec = bot.findMessage(chat.id, messageId);
  if (!rec || rec.deleted) throw badRequest('message to edit not found');
  if (!rec.outgoing) throw badRequest("message can't be edited");
  return { chat, rec };
}

const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Applies an edit. As on Telegram, omitting reply_markup in an edit removes the inline keyboard.
 */
function applyEdit(bot: BotState, chat: Chat, rec: MsgRec, params: Params, change: Partial<Message>): Message {
  checkParseMode(params.str('parse_mode'));
  const markup = readReplyMarkup(params);
  const next = { ...rec.message, ...change, reply_markup: echoedMarkup(markup) };
  const keys = ['text', 'entities', 'caption', 'caption_entities', 'reply_markup'] as const;
  if (keys.every((k) => same(next[k], rec.message[k]))) throw badRequest(NOT_MODIFIED);
  bot.spend(chat.id, 1);
  rec.message = compact({ ...next, edit_date: unixNow() });
  rec.markup = markup;
  if (params.has('parse_mode')) rec.parse_mode = params.str('parse_mode');
  rec.edited++;
  bot.changed.notify();
  bot.emit({ type: 'edit', chat_id: chat.id, message_id: rec.message.message_id });
  return rec.message;
}

function editMessageText({ bot, params }: Ctx): Message {
  const { chat, rec } = editable(bot, params);
  const text = checkText(params.str('text'));
  if (rec.message.text === undefined) throw badRequest('there is no text in the message to edit');
  const entities = readEntities(params, 'entities') ?? detectEntities(text);
  return applyEdit(bot, chat, rec, params, { text, entities });
}

function editMessageCaption({ bot, params }: Ctx): Message {
  const { chat, rec } = editable(bot, params);
  if (rec.message.text !== undefined || rec.message.invoice) throw badRequest('there is no caption in the message to edit');
  const caption = params.str('caption') ?? '';
  checkCaption(caption);
  const change = caption
    ? { caption, caption_entities: readEntities(params, 'caption_entities') }
    : { caption: undefined, caption_entities: undefined };
  return applyEdit(bot, chat, rec, params, change);
}

function editMessageReplyMarkup({ bot, params }: Ctx): Message {
  const { chat, rec } = editable(bot, params);
  return applyEdit(bot, chat, rec, params, {});
}

function deleteMessage({ bot, params }: Ctx): boolean {
  const chat = bot.targetChat(params.value('chat_id'));
  const rec = bot.findMessage(chat.id, params.requireInt('message_id', 'message identifier is not specified'));
  if (!rec || rec.deleted) throw badRequest('message to delete not found');
  rec.deleted = true;
  bot.changed.notify();
  bot.emit({ type: 'delete', chat_id: chat.id, message_id: rec.message.message_id });
  return true;
}

const QUERY_INVALID = 'query is too old and response timeout expired or query ID is invalid';

function answerCallbackQuery({ bot, params }: Ctx): boolean {
  const rec = bot.callbacks.get(params.str('callback_query_id') ?? '');
  if (!rec || rec.answer) throw badRequest(QUERY_INVALID);
  const text = params.str('text');
  if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
  rec.answer = compact({ text, show_alert: params.bool('show_alert') ?? false, url: params.str('url') });
  bot.changed.notify();
  bot.emit(compact({ type: 'callback_answer' as const, chat_id: rec.chatId, callback_query_id: params.str('callback_query_id')!, ...rec.answer }));
  return true;
}

const ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice',
  'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]);

function sendChatAction({ bot, params }: Ctx): boolean {
  const chat = bot.targetChat(params.value('chat_id'));
  const action = params.str('action');
  if (!action || !ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
  const list = bot.actions.get(chat.id) ?? [];
  const at = Date.now();
  list.push({ action, at });
  // Bounded: the web chat only shows the latest, tests look at what a job did recently.
  if (list.length > 1000) list.splice(0, list.length - 1000);
  bot.actions.set(chat.id, list);
  bot.emit({ type: 'action', chat_id: chat.id, action, at });
  return true;
}

export const messageMethods: Record<string, Handler> = {
  sendMessage,
  editMessageText,
  editMessageCaption,
  editMessageReplyMarkup,
  deleteMessage,
  answerCallbackQuery,
  sendChatAction,
};
