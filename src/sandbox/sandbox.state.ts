// Over 250 lines on purpose: one bot's whole Telegram-side state (updates, chats, messages, Stars, files) and the sandbox root that owns it, so every Bot API method mutates one object.
import { FaultPlan } from './faults';
import { setMaxListeners } from 'node:events';
import { RateLimiter } from './rate-limits';
import { UpdateQueue } from './update-queue';
import { WebhookDelivery } from './webhook.delivery';
import { ApiError, Notifier, badRequest, compact, randomToken, unixNow } from './sandbox.util';
import type {
  Chat, ChatActionRecord, FileRec, Json, Limits, Message, PreCheckoutQuery, SandboxMessage, SandboxStats, StarTransaction,
  TransactionPartnerUser, Update, User,
} from './sandbox.types';
import { DEFAULT_LIMITS } from './sandbox.types';

export interface MsgRec {
  message: Message;
  /** What checkout made of an invoice message: refused at pre-checkout (with the bot's reason) or paid. */
  checkout?: { status: 'refused' | 'paid'; error_message?: string };
  outgoing: boolean;
  edited: number;
  deleted: boolean;
  at: number;
  markup?: Json;
  parse_mode?: string;
  disable_notification?: boolean;
  invoice?: { payload: string; prices: Array<{ label: string; amount: number }> };
}

export interface CallbackRec {
  chatId: number;
  answer: { text?: string; show_alert: boolean; url?: string } | null;
}

export interface PreCheckoutRec {
  query: PreCheckoutQuery;
  deadline: number;
  answer: { ok: boolean; error_message?: string } | null;
}

export interface ChargeRec {
  userId: number;
  currency: string;
  amount: number;
  refunded: boolean;
}

/**
 * What the web chat hears about a bot's chats (sent as Server-Sent Events): a message added, edited or deleted, a chat
 * action, a callback query answered, the command menu changed (setMyCommands / deleteMyCommands), or everything cleared.
 */
export type ChatEvent =
  | { type: 'message' | 'edit' | 'delete'; chat_id: number; message_id: number }
  | { type: 'action'; chat_id: number; action: string; at: number }
  | { type: 'callback_answer'; chat_id: number; callback_query_id: string; text?: string; show_alert: boolean; url?: string }
  | { type: 'commands' }
  | { type: 'reset' };

export type ChatListener = (event: ChatEvent) => void;

/** Open event streams per bot: each is one listener; more than this is a leak or an abuse, refused with 429. */
export const MAX_CHAT_LISTENERS = 64;

export type Dispatch = (bot: BotState, method: string, params: Json) => Promise<unknown>;

const newStats = (): SandboxStats => ({
  calls: {}, tooManyRequests: 0, forbidden: 0, badRequests: 0, serverErrors: 0, conflicts: 0,
  webhookDeliveries: 0, webhookFailures: 0, updatesQueued: 0, messagesSent: 0, fileDownloads: 0,
});

/** Everything Telegram would keep for one bot token. */
export class BotState {
  readonly id: number;
  readonly me: User;
  readonly limiter: RateLimiter;
  readonly queue = new UpdateQueue();
  readonly changed = new Notifier();
  /** Event-stream subscribers (bounded by MAX_CHAT_LISTENERS); each removes itself when its stream closes. */
  readonly listeners = new Set<ChatListener>();
  readonly webhook: WebhookDelivery;
  users = new Map<number, { user: User; blocked: boolean }>();
  chats = new Map<number, Chat>();
  history = new Map<number, MsgRec[]>();
  actions = new Map<number, ChatActionRecord[]>();
  files = new Map<string, FileRec>();
  filesByPath = new Map<string, FileRec>();
  /** A slow file server: each download waits this long before its bytes (set through the control API). */
  fileDelayMs = 0;
  /** Errors answered on purpose (fault tests; see faults.ts). */
  readonly faults = new FaultPlan();
  callbacks = new Map<string, CallbackRec>();
  preCheckouts = new Map<string, PreCheckoutRec>();
  charges = new Map<string, ChargeRec>();
  /** The bot's Telegram Stars ledger (getStarTransactions), oldest first: payments and refunds. */
  starTransactions: StarTransaction[] = [];
  commands = new Map<string, Json[]>();
  stats = newStats();
  /** Every update ever created (bounded), so redeliver() can replay confirmed ones too. */
  updateLog = new Map<number, Update>();
  /** The running long poll; aborting it ends that request with the abort reason (a 409). */
  poll: AbortController | null = null;
  fileCounter = 0;

  constructor(readonly token: string, readonly sandbox: Sandbox) {
    this.id = Number(token.split(':')[0]);
    this.me = {
      id: this.id, is_bot: true, first_name: `Sandbox Bot ${this.id}`, username: `sandbox_${this.id}_bot`,
      can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
    };
    this.limiter = new RateLimiter({ ...sandbox.defaultLimits });
    this.webhook = new WebhookDelivery(this);
  }

  /** Adds an event-stream subscriber; returns its remover. Throws 429 once MAX_CHAT_LISTENERS are open. */
  listen(listener: ChatListener): () => void {
    if (this.listeners.size >= MAX_CHAT_LISTENERS) throw new ApiError(429, `Too Many Requests: at most ${MAX_CHAT_LISTENERS} event streams per bot`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells every event stream; a failing listener never breaks the Bot API call that caused the event. */
  emit(event: ChatEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  /** Creates, queues (or webhooks) an update. */
  pushUpdate(body: Omit<Update, 'update_id'>): Update {
    const { update, queued } = this.queue.create(body);
    this.log(update);
    if (queued) this.afterQueued();
    return update;
  }

  pushRaw(update: Update, duplicate: boolean): void {
    this.queue.pushRaw(update, duplicate);
    this.log(update);
    this.afterQueued();
  }

  private log(update: Update): void {
    this.updateLog.set(update.update_id, update);
    if (this.updateLog.size > 10_000) this.updateLog.delete(this.updateLog.keys().next().value as number);
  }

  private afterQueued(): void {
    this.stats.updatesQueued++;
    this.webhook.kick();
    this.changed.notify();
  }

  /** Looks up a chat a bot may write to; Telegram's checks in Telegram's order. */
  targetChat(chatId: unknown): Chat {
    if (chatId === undefined || chatId === null || chatId === '') throw badRequest('chat_id is empty');
    const id = typeof chatId === 'number' ? chatId : /^-?\d+$/.test(String(chatId)) ? Number(chatId) : NaN;
    const chat = this.chats.get(id);
    if (!chat) throw badRequest('chat not found');
    if (this.users.get(id)?.blocked) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    return chat;
  }

  /** Rate-limit gate for anything that puts messages into a chat. */
  spend(chatId: number, cost: number): void {
    const retry = this.limiter.consume(chatId, cost);
    if (retry > 0) {
      throw new ApiError(429, `Too Many Requests: retry after ${retry}`, { retry_after: retry });
    }
  }

  addMessage(chat: Chat, fields: Omit<Message, 'message_id' | 'chat' | 'date'>, extra: Partial<MsgRec> = {}): MsgRec {
    const list = this.history.get(chat.id) ?? [];
    this.history.set(chat.id, list);
    const last = list[list.length - 1];
    // Key order mirrors Telegram's (message_id, from, chat, date, ...) for readable dumps.
    const message = compact({
      message_id: (last?.message.message_id ?? 0) + 1, from: fields.from, chat, date: unixNow(), ...fields,
    } as Message);
    const rec: MsgRec = { message, outgoing: false, edited: 0, deleted: false, at: Date.now(), ...extra };
    list.push(rec);
    if (rec.outgoing) this.stats.messagesSent++;
    const paid = message.successful_payment;
    // The checkout (payInvoice) puts the successful_payment service message into the chat once Telegram has taken the
    // Stars: that is when its ledger gets the transaction, whether or not the bot ever receives the update. Only
    // charges the sandbox really made count (the charge is registered first), so a forged update records nothing.
    const chargeId = paid?.telegram_payment_charge_id ?? '';
    if (paid?.currency === 'XTR' && message.from && this.charges.has(chargeId) && !this.starPayment(chargeId)) {
      this.logStarPayment(message.from, chargeId, paid.total_amount, paid.invoice_payload, message.date);
    }
    this.changed.notify();
    this.emit({ type: 'message', chat_id: chat.id, message_id: message.message_id });
    return rec;
  }

  /** The payment transaction (not the refund) with this id. */
  starPayment(chargeId: string): StarTransaction | undefined {
    return this.starTransactions.find((t) => t.id === chargeId && t.source !== undefined);
  }

  private logStarPayment(user: User, chargeId: string, amount: number, invoicePayload: string, date = unixNow()): StarTransaction {
    const source: TransactionPartnerUser = { type: 'user', transaction_type: 'invoice_payment', user, invoice_payload: invoicePayload };
    const tx: StarTransaction = { id: chargeId, amount, date, source };
    this.starTransactions.push(tx);
    return tx;
  }

  /**
   * A Stars payment Telegram took whose successful_payment update never reached the bot: the charge (refundable)
   * and the transaction are recorded, no update is queued and the chat shows no service message.
   */
  recordStarPayment(userId: number, p: { invoicePayload: string; amount: number; chargeId?: string }): StarTransaction {
    const entry = this.users.get(userId);
    if (!entry) throw new ApiError(404, `user ${userId} not found; create it with createUser first`);
    const chargeId = p.chargeId ?? `stx${randomToken(36)}`;
    if (this.charges.has(chargeId)) throw new ApiError(400, `charge ${chargeId} exists already`);
    this.charges.set(chargeId, { userId, currency: 'XTR', amount: p.amount, refunded: false });
    return this.logStarPayment(entry.user, chargeId, p.amount, p.invoicePayload);
  }

  /** A granted refundStarPayment: an outgoing transaction to the user, with the id of the payment it refunds. */
  recordStarRefund(chargeId: string, charge: ChargeRec): StarTransaction {
    const paid = this.starPayment(chargeId)?.source;
    const user = paid?.user ?? this.users.get(charge.userId)?.user ?? { id: charge.userId, is_bot: false, first_name: 'Test' };
    const receiver: TransactionPartnerUser = compact({
      type: 'user', transaction_type: 'invoice_payment', user, invoice_payload: paid?.invoice_payload,
    });
    const tx: StarTransaction = { id: chargeId, amount: charge.amount, date: unixNow(), receiver };
    this.starTransactions.push(tx);
    return tx;
  }

  findMessage(chatId: number, messageId: number): MsgRec | undefined {
    return this.history.get(chatId)?.find((m) => m.message.message_id === messageId);
  }

  botMessages(chatId: number): SandboxMessage[] {
    return (this.history.get(chatId) ?? []).filter((m) => m.outgoing).map(toSandboxMessage);
  }

  /** Clears users, chats, messages, updates, files, payments and stats; keeps limits, webhook and commands. */
  reset(): void {
    this.users.clear();
    this.chats.clear();
    this.history.clear();
    this.actions.clear();
    this.files.clear();
    this.filesByPath.clear();
    this.callbacks.clear();
    this.preCheckouts.clear();
    this.charges.clear();
    this.starTransactions = [];
    this.queue.clear();
    this.updateLog.clear();
    this.limiter.reset();
    this.faults.clear();
    this.stats = newStats();
    this.changed.notify();
    this.emit({ type: 'reset' });
  }
}

export function toSandboxMessage(rec: MsgRec): SandboxMessage {
  const m = rec.message;
  return compact({
    message_id: m.message_id, chat_id: m.chat.id, date: m.date, at: rec.at,
    text: m.text, caption: m.caption, entities: m.entities, caption_entities: m.caption_entities,
    parse_mode: rec.parse_mode, reply_markup: rec.markup, reply_to_message_id: m.reply_to_message?.message_id,
    media_group_id: m.media_group_id, photo: m.photo, document: m.document, audio: m.audio, voice: m.voice,
    video: m.video, video_note: m.video_note,
    invoice: m.invoice && rec.invoice ? { ...m.invoice, ...rec.invoice } : undefined,
    edited: rec.edited, edit_date: m.edit_date, deleted: rec.deleted,
    disable_notification: rec.disable_notification, checkout: rec.checkout, message: m,
  });
}

export interface SandboxOptions {
  limits?: Partial<Limits>;
  /** getFile refuses files above this size (Telegram: 20 MB). */
  maxFileBytes?: number;
  /** First webhook retry delay; doubles per failure up to webhookRetryMaxMs. */
  webhookRetryMs?: number;
  webhookRetryMaxMs?: number;
  /** A Telegram user id the web chat offers as "New admin user" (the launcher puts it into the bot's ADMIN_IDS). */
  adminId?: number;
}

/** Root of all state; one per running server. */
export class Sandbox {
  readonly bots = new Map<string, BotState>();
  readonly defaultLimits: Limits;
  readonly maxFileBytes: number;
  readonly webhookRetryMs: number;
  readonly webhookRetryMaxMs: number;
  readonly adminId: number | undefined;
  private readonly closing = new AbortController();
  /** Set by the HTTP layer so webhook replies can invoke methods without a circular import. */
  dispatch: Dispatch = async () => {
    throw new Error('dispatch not wired');
  };

  constructor(opts: SandboxOptions = {}) {
    this.defaultLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.maxFileBytes = opts.maxFileBytes ?? 20 * 1024 * 1024;
    this.webhookRetryMs = opts.webhookRetryMs ?? 200;
    this.webhookRetryMaxMs = opts.webhookRetryMaxMs ?? 30_000;
    this.adminId = opts.adminId;
    // Every long poll (the bot's getUpdates, each client waiting for messages) listens for the close: many at once.
    setMaxListeners(0, this.closing.signal);
  }

  get closeSignal(): AbortSignal {
    return this.closing.signal;
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  bot(token: string): BotState {
    let bot = this.bots.get(token);
    if (!bot) {
      bot = new BotState(token, this);
      this.bots.set(token, bot);
    }
    return bot;
  }

  /** Ends long polls, waits and webhook timers so the process can exit. */
  close(): void {
    this.closing.abort();
    for (const bot of this.bots.values()) {
      bot.webhook.stop();
      bot.poll?.abort(new ApiError(409, 'Conflict: terminated by sandbox shutdown'));
      bot.changed.notify();
    }
  }
}

/** Bot token shape: numeric id, colon, ~35 url-safe characters. */
export const TOKEN_RE = /^(\d{1,20}):([A-Za-z0-9_-]{30,64})$/;
