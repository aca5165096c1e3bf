// Bot API object shapes (https://core.telegram.org/bots/api#available-types) used by the sandbox,
// plus the sandbox's own control-API shapes. Only the fields the sandbox produces are typed;
// everything else a bot may send is kept as opaque JSON.

export type Json = Record<string, unknown>;

export interface User {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  can_join_groups?: boolean;
  can_read_all_group_messages?: boolean;
  supports_inline_queries?: boolean;
}

export interface Chat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
}

export interface MessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  user?: User;
  language?: string;
  custom_emoji_id?: string;
}

export interface PhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size?: number;
}

export interface Invoice {
  title: string;
  description: string;
  start_parameter: string;
  currency: string;
  total_amount: number;
}

export interface SuccessfulPayment {
  currency: string;
  total_amount: number;
  invoice_payload: string;
  telegram_payment_charge_id: string;
  provider_payment_charge_id: string;
}

/**
 * TransactionPartnerUser (https://core.telegram.org/bots/api#transactionpartneruser). The sandbox only produces
 * invoice payments and their refunds, so only those fields are typed (`transaction_type` is required since Bot API 9.0).
 */
export interface TransactionPartnerUser {
  type: 'user';
  transaction_type: 'invoice_payment';
  user: User;
  invoice_payload?: string;
}

export type TransactionPartner = TransactionPartnerUser;

/**
 * StarTransaction: `id` is the payment's telegram_payment_charge_id; a refund has the id of the payment it refunds.
 * An incoming payment has `source`, an outgoing refund `receiver`.
 */
export interface StarTransaction {
  id: string;
  amount: number;
  nanostar_amount?: number;
  date: number;
  source?: TransactionPartner;
  receiver?: TransactionPartner;
}

/** What getStarTransactions returns. */
export interface StarTransactions {
  transactions: StarTransaction[];
}

/** The media fields a message can carry (shared by the Bot API Message and the control API's view of it). */
export interface MessageMedia {
  photo?: PhotoSize[];
  document?: Json;
  audio?: Json;
  voice?: Json;
  video?: Json;
  video_note?: Json;
}

export interface Message extends MessageMedia {
  message_id: number;
  from?: User;
  chat: Chat;
  date: number;
  edit_date?: number;
  media_group_id?: string;
  reply_to_message?: Message;
  text?: string;
  entities?: MessageEntity[];
  link_preview_options?: Json;
  caption?: string;
  caption_entities?: MessageEntity[];
  invoice?: Invoice;
  successful_payment?: SuccessfulPayment;
  reply_markup?: Json;
}

export interface CallbackQuery {
  id: string;
  from: User;
  message?: Message;
  chat_instance: string;
  data?: string;
}

export interface PreCheckoutQuery {
  id: string;
  from: User;
  currency: string;
  total_amount: number;
  invoice_payload: string;
}

export interface Update {
  update_id: number;
  message?: Message;
  edited_message?: Message;
  callback_query?: CallbackQuery;
  pre_checkout_query?: PreCheckoutQuery;
  [other: string]: unknown;
}

/** Telegram's File object returned by getFile. */
export interface TgFile {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  file_path?: string;
}

/** Token-bucket settings; each bot gets its own copy so tests on different tokens don't interfere. */
export interface Limits {
  enabled: boolean;
  /** Per-bot messages per second across all chats (Telegram's ~30 msg/s broadcast limit). */
  globalPerSecond: number;
  globalBurst: number;
  /** Per private chat: sustained rate and burst. */
  privatePerSecond: number;
  privateBurst: number;
  /** Per group chat (negative chat id): messages per minute and burst. */
  groupPerMinute: number;
  groupBurst: number;
}

export const DEFAULT_LIMITS: Limits = {
  enabled: true,
  globalPerSecond: 30,
  globalBurst: 30,
  privatePerSecond: 1,
  privateBurst: 3,
  groupPerMinute: 20,
  groupBurst: 20,
};

/** A bot-sent message as the control API reports it (current state after edits/deletes). */
export interface SandboxMessage extends MessageMedia {
  message_id: number;
  chat_id: number;
  date: number;
  /** Wall-clock ms when the bot sent it (for timing assertions). */
  at: number;
  text?: string;
  caption?: string;
  entities?: MessageEntity[];
  caption_entities?: MessageEntity[];
  parse_mode?: string;
  /** reply_markup exactly as the bot sent it (any keyboard type, not only inline). */
  reply_markup?: Json;
  reply_to_message_id?: number;
  media_group_id?: string;
  invoice?: Invoice & { payload: string; prices: Array<{ label: string; amount: number }> };
  edited: number;
  edit_date?: number;
  deleted: boolean;
  disable_notification?: boolean;
  /** An invoice's checkout outcome in this chat: refused at pre-checkout (with the bot's error_message) or paid. */
  checkout?: { status: 'refused' | 'paid'; error_message?: string };
  /** The Bot API Message object as last returned to the bot. */
  message: Message;
}

export interface ChatActionRecord {
  action: string;
  at: number;
}

export interface SandboxStats {
  calls: Record<string, number>;
  tooManyRequests: number;
  forbidden: number;
  badRequests: number;
  /** 5xx answered (injected faults). */
  serverErrors: number;
  conflicts: number;
  webhookDeliveries: number;
  webhookFailures: number;
  updatesQueued: number;
  messagesSent: number;
  /** Files the bot downloaded from /file/bot<token>/… */
  fileDownloads: number;
}

/** What a test or a bot may say of a file beyond its bytes (sandbox.files.ts registers it). */
export interface FileMeta {
  file_name?: string;
  mime_type?: string;
  width?: number;
  height?: number;
  duration?: number;
  length?: number;
  declared_size?: number;
}

export type FileKind = 'photo' | 'document' | 'audio' | 'voice' | 'video' | 'video_note';

export interface FileRec extends Omit<FileMeta, 'declared_size'> {
  file_id: string;
  file_unique_id: string;
  kind: FileKind;
  bytes: Buffer;
  /** Reported size; may exceed bytes.length when a test declares a big file. */
  size: number;
  file_path?: string;
}
