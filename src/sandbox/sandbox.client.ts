import type {
  Chat, ChatActionRecord, Limits, SandboxMessage, SandboxStats, StarTransaction, Update, User,
} from './sandbox.types';

export type { Chat, ChatActionRecord, Limits, SandboxMessage, SandboxStats, StarTransaction, Update, User };

/** A control-API call failed (bad input, unknown user/message, ...). */
export class SandboxError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
  ) {
    super(`sandbox: ${code} ${description}`);
  }
}

export interface CallbackAnswer {
  text?: string;
  show_alert: boolean;
  url?: string;
}

export interface PayResult {
  ok: boolean;
  error_message?: string;
  /** The message update carrying successful_payment (when ok). */
  update?: Update;
  telegram_payment_charge_id?: string;
}

/** Larger-than-real size reported for the file, to test limits without huge buffers. */
interface Declared {
  declared_size?: number;
}

/**
 * Typed client of the sandbox control API, scoped to one bot token. It plays the users' side
 * of Telegram (send text/media, press buttons, pay) and inspects what the bot did.
 */
export class SandboxClient {
  private readonly root: string;

  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {
    this.root = `${baseUrl.replace(/\/+$/, '')}/sandbox/${encodeURIComponent(token)}`;
  }

  private async call<T>(path: string, body?: unknown, method?: 'DELETE'): Promise<T> {
    const res = await fetch(this.root + path, method ? { method } : body === undefined ? undefined : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const data = (await res.json()) as { ok: boolean; result?: T; error_code?: number; description?: string };
    if (!data.ok) throw new SandboxError(data.error_code ?? res.status, data.description ?? res.statusText);
    return data.result as T;
  }

  createUser(opts: { id?: number; first_name?: string; last_name?: string; username?: string; language_code?: string } = {}): Promise<User> {
    return this.call('/users', opts);
  }

  users(): Promise<Array<User & { blocked: boolean }>> {
    return this.call('/users');
  }

  /** A group chat (negative id) the bot can write to; group rate limits apply. */
  createGroup(opts: { id?: number; title?: string } = {}): Promise<Chat> {
    return this.call('/groups', opts);
  }

  /** The user sends text; a leading /command gets a bot_command entity. chatId defaults to the private chat. */
  sendText(userId: number, text: string, opts: { chatId?: number } = {}): Promise<Update> {
    return this.call(`/users/${userId}/text`, { text, chat_id: opts.chatId });
  }

  private media(userId: number, kind: string, bytes: Buffer, opts: object): Promise<Update> {
    return this.call(`/users/${userId}/media`, { kind, data: Buffer.from(bytes).toString('base64'), ...opts });
  }

  sendPhoto(userId: number, bytes: Buffer, opts: { caption?: string; width?: number; height?: number } & Declared = {}): Promise<Update> {
    return this.media(userId, 'photo', bytes, opts);
  }

  sendDocument(userId: number, bytes: Buffer, opts: { file_name: string; mime_type: string; caption?: string } & Declared): Promise<Update> {
    return this.media(userId, 'document', bytes, opts);
  }

  sendVoice(userId: number, bytes: Buffer, opts: { duration: number; mime_type?: string; caption?: string } & Declared): Promise<Update> {
    return this.media(userId, 'voice', bytes, opts);
  }

  sendAudio(userId: number, bytes: Buffer, opts: { duration: number; file_name?: string; mime_type?: string; caption?: string } & Declared): Promise<Update> {
    return this.media(userId, 'audio', bytes, opts);
  }

  sendVideoNote(userId: number, bytes: Buffer, opts: { duration: number; length?: number } & Declared): Promise<Update> {
    return this.media(userId, 'video_note', bytes, opts);
  }

  /** Taps an inline button (it must be on the message) → callback_query update. */
  pressButton(userId: number, messageId: number, data: string): Promise<{ update: Update; callbackQueryId: string }> {
    return this.call(`/users/${userId}/press`, { message_id: messageId, data });
  }

  /** How the bot answered a callback query, or null while unanswered. */
  callbackAnswer(callbackQueryId: string): Promise<CallbackAnswer | null> {
    return this.call(`/callbacks/${encodeURIComponent(callbackQueryId)}`);
  }

  /** Runs checkout for the invoice in a bot message; resolves once the bot answered (or 10 s passed). */
  payInvoice(userId: number, messageId: number, opts: { timeoutMs?: number; tamper?: { invoice_payload?: string; total_amount?: number } } = {}): Promise<PayResult> {
    return this.call(`/users/${userId}/pay`, { message_id: messageId, timeout_ms: opts.timeoutMs, tamper: opts.tamper });
  }

  /**
   * A Stars payment Telegram took but whose successful_payment update was lost: records the charge (refundable with
   * refundStarPayment) and its transaction (getStarTransactions) without queueing any update. Returns the charge id
   * (`chargeId` when given, else a new `stx…` one).
   */
  async recordStarPayment(userId: number, opts: { invoicePayload: string; amount: number; chargeId?: string }): Promise<string> {
    const tx = await this.call<StarTransaction>(`/users/${userId}/star-payments`, {
      invoice_payload: opts.invoicePayload, amount: opts.amount, charge_id: opts.chargeId,
    });
    return tx.id;
  }

  async blockBot(userId: number, blocked = true): Promise<void> {
    await this.call(`/users/${userId}/block`, { blocked });
  }

  /** Messages the bot sent to a chat, oldest first, in their current (edited/deleted) state. */
  messages(chatId: number): Promise<SandboxMessage[]> {
    return this.call(`/chats/${chatId}/messages`);
  }

  /** Both directions of a chat, oldest first (what the web chat shows); `outgoing` is true for the bot's messages. */
  history(chatId: number): Promise<Array<SandboxMessage & { outgoing: boolean }>> {
    return this.call(`/chats/${chatId}/history`);
  }

  chatActions(chatId: number): Promise<ChatActionRecord[]> {
    return this.call(`/chats/${chatId}/actions`);
  }

  /** Resolves with all bot messages once at least `count` exist; the server long-polls, no busy loop. */
  async waitForMessages(chatId: number, count: number, timeoutMs = 5000): Promise<SandboxMessage[]> {
    const list = await this.call<SandboxMessage[]>(`/chats/${chatId}/messages?wait_count=${count}&timeout_ms=${timeoutMs}`);
    if (list.length >= count) return list;
    const stats = await this.stats().catch(() => undefined);
    const seen = list.map((m) => `#${m.message_id} ${JSON.stringify(m.text ?? m.caption ?? Object.keys(m.message).pop())}`);
    throw new Error(
      `waitForMessages(chat ${chatId}): expected at least ${count} bot message(s) within ${timeoutMs} ms, got ${list.length}` +
        (seen.length ? `: ${seen.join(', ')}` : '') +
        (stats ? `; bot API calls ${JSON.stringify(stats.calls)}, 400s ${stats.badRequests}, 403s ${stats.forbidden}, 429s ${stats.tooManyRequests}` : ''),
    );
  }

  /** Queues the very same update (same update_id) again, like Telegram's duplicate delivery. */
  redeliver(updateId: number): Promise<Update> {
    return this.call(`/updates/${updateId}/redeliver`, {});
  }

  /** Queues an arbitrary update; update_id is assigned unless given. */
  injectUpdate(update: object): Promise<Update> {
    return this.call('/updates', { update });
  }

  stats(): Promise<SandboxStats & { pendingUpdates: number }> {
    return this.call('/stats');
  }

  limits(): Promise<Limits> {
    return this.call('/limits');
  }

  setLimits(partial: Partial<Limits>): Promise<Limits> {
    return this.call('/limits', partial);
  }

  /** Makes file downloads slow (each waits `ms`), like a congested file server; 0 turns it off. */
  async setFileDelay(ms: number): Promise<void> {
    await this.call('/files/delay', { ms });
  }

  /**
   * Makes Bot API methods (all, or `methods`) answer `code` (5xx, 429 with `retryAfter`, 400 with `description`) for `times` calls and/or
   * `forMs`, like an outage or a flood limit at Telegram.
   */
  async injectFault(fault: { code: 400 | 429 | 500 | 502 | 503 | 504; methods?: string[]; times?: number; forMs?: number; retryAfter?: number; hangMs?: number; description?: string }): Promise<void> {
    await this.call('/faults', { code: fault.code, methods: fault.methods, times: fault.times, for_ms: fault.forMs, retry_after: fault.retryAfter, hang_ms: fault.hangMs, description: fault.description });
  }

  /** Ends every injected fault; returns how many calls they answered in all. */
  async clearFaults(): Promise<number> {
    return (await this.call<{ injected: number }>('/faults', undefined, 'DELETE')).injected;
  }

  /** Clears users, messages, updates, files and stats of this bot; limits and webhook stay. */
  async reset(): Promise<void> {
    await this.call('/reset', {});
  }
}
