import type { Json, SandboxStats, Update } from './sandbox.types';
import { unixNow } from './sandbox.util';

/**
 * What a delivery needs of its bot (BotState in sandbox.state.ts, which owns one): its queue, its change signal, its
 * stats and its sandbox. Declared here so that the bot's state and its delivery do not import each other.
 */
export interface WebhookBot {
  readonly queue: { peek(): Update | undefined; remove(update: Update): void };
  readonly changed: { notify(): void };
  readonly stats: Pick<SandboxStats, 'webhookDeliveries' | 'webhookFailures'>;
  readonly sandbox: {
    readonly closed: boolean;
    readonly webhookRetryMs: number;
    readonly webhookRetryMaxMs: number;
    /** Runs a Bot API method as this bot (a method a webhook's response carries). */
    dispatch(bot: WebhookBot, method: string, params: Json): Promise<unknown>;
  };
}

/**
 * Pushes a bot's queued updates to its webhook, one at a time and in order, like Telegram with
 * max_connections=1. A failed delivery keeps the update at the head and retries with a doubling
 * delay, so a flaky endpoint sees every update exactly in order, possibly more than once.
 */
export class WebhookDelivery {
  url = '';
  secret: string | undefined;
  maxConnections = 40;
  lastErrorDate: number | undefined;
  lastErrorMessage: string | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private delayMs = 0;
  private inflight: AbortController | undefined;
  /** Bumped on every set/delete so a response for an old URL is not acted upon. */
  private generation = 0;

  constructor(private readonly bot: WebhookBot) {}

  get active(): boolean {
    return this.url !== '';
  }

  set(url: string, secret: string | undefined, maxConnections: number): void {
    this.stop();
    this.url = url;
    this.secret = secret;
    this.maxConnections = maxConnections;
    this.lastErrorDate = undefined;
    this.lastErrorMessage = undefined;
    this.kick();
  }

  delete(): void {
    this.stop();
    this.url = '';
    this.secret = undefined;
  }

  stop(): void {
    this.generation++;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.delayMs = 0;
    this.inflight?.abort();
    this.inflight = undefined;
  }

  /** Starts delivering if there is something to deliver and no delivery/retry is pending. */
  kick(): void {
    if (this.running || this.timer || !this.active || this.bot.sandbox.closed) return;
    void this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    const generation = this.generation;
    try {
      while (this.active && !this.bot.sandbox.closed && generation === this.generation) {
        const update = this.bot.queue.peek();
        if (!update) break;
        const ok = await this.post(update);
        if (generation !== this.generation) break;
        if (ok) {
          this.delayMs = 0;
          this.bot.queue.remove(update);
          this.bot.changed.notify();
          continue;
        }
        this.delayMs = Math.min(
          this.bot.sandbox.webhookRetryMaxMs,
          this.delayMs ? this.delayMs * 2 : this.bot.sandbox.webhookRetryMs,
        );
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, this.delayMs);
        break;
      }
    } finally {
      this.running = false;
    }
    // Something may have been queued or the URL changed while the last request was in flight.
    if (generation !== this.generation) this.kick();
  }

  private async post(update: Update): Promise<boolean> {
    const controller = new AbortController();
    this.inflight = controller;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.secret) headers['X-Telegram-Bot-Api-Secret-Token'] = this.secret;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(update),
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(60_000)]),
      });
      const body = await res.text();
      if (!res.ok) {
        this.fail(`Wrong response from the webhook: ${res.status} ${res.statusText}`);
        return false;
      }
      this.bot.stats.webhookDeliveries++;
      await this.runReplyMethod(body);
      return true;
    } catch (err) {
      if (controller.signal.aborted) return false;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      this.fail(cause?.code === 'ECONNREFUSED' ? 'Connection refused' : (cause?.message ?? String(err)));
      return false;
    } finally {
      if (this.inflight === controller) this.inflight = undefined;
    }
  }

  /**
   * "Making requests when getting updates": a webhook response may carry a method call
   * (telegraf does this for answerCallbackQuery & co). Its result is never reported back.
   */
  private async runReplyMethod(body: string): Promise<void> {
    if (!body.trim()) return;
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return;
    }
    if (!payload || typeof payload !== 'object' || typeof (payload as Json).method !== 'string') return;
    const { method, ...params } = payload as Json;
    await this.bot.sandbox.dispatch(this.bot, method as string, params).catch(() => undefined);
  }

  private fail(message: string): void {
    this.bot.stats.webhookFailures++;
    this.lastErrorDate = unixNow();
    this.lastErrorMessage = message;
  }
}
