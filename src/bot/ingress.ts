import { randomBytes } from 'node:crypto';
import { Composer, Telegraf } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import type { Config, Feature } from '../config';
import type { Enqueue } from '../jobs/enqueue';
import type { Actor } from '../jobs/payloads';
import type { RedisClient } from '../lib/redis';
import { redact, type Logger, type TraceContext } from '../lib/logger';
import { languageFromCode } from '../shared/actor';
import type { BotContext } from './context';
import { features } from './features';
import { Dialog } from './fsm/dialog';
import type { SharedMetrics } from '../observability/shared-metrics';
import { Admission, LOCK_TTL_MS, type AdmitRequest } from './admission';
import { actorOf, isFinal } from './updates';
import { dialogKey, idTag, NO_DIALOG } from '../jobs/dialog-keys';

export type IngressOutcome = 'enqueued' | 'duplicate' | 'rate_limited' | 'ignored' | 'failed';

export { ALLOWED_UPDATES } from './updates';

export interface IngressDeps {
  config: Pick<Config, 'QUEUE_PREFIX' | 'RATE_LIMIT_BURST' | 'RATE_LIMIT_PER_MINUTE' | 'FSM_TTL_SECONDS'> & Partial<Pick<Config, 'FEATURES_OFF'>>;
  redis: RedisClient;
  enqueue: Enqueue;
  log: Logger;
  botInfo: UserFromGetMe;
  /** The telegraf instance the features are mounted on (its `telegram` answers callback queries). */
  bot: Telegraf<BotContext>;
  /** Counts outcomes (dedupe hits, rate-limit rejections, …) for every bot replica together. */
  metrics?: SharedMetrics;
}

interface Admitted {
  dialog: Dialog;
  actor: Actor;
  trace: TraceContext;
  jobs: number;
}

/** How long an update waits for its dialog state to come back from Postgres (well inside the chat lock's TTL). */
const RESTORE_WAIT_MS = 5_000;

/** How often one update may fail in this process before it is given up (logged) instead of retried. */
const MAX_UPDATE_FAILURES = 3;

/**
 * The bot's whole job: admit an update (dedupe, per-chat order, rate limit, dialog state), let the features map it
 * to ONE catalogue job, enqueue it. Shared by polling (bot process) and webhook (web process).
 */
export class Ingress {
  private readonly redis: RedisClient;
  private readonly admitted = new WeakMap<Update, Admitted>();
  // Same-process updates of one chat wait here instead of spinning on the Redis lock.
  private readonly chains = new Map<number, Promise<unknown>>();
  private readonly keys: (suffix: string) => string;
  // Lock tokens: unique per process (random prefix) and per update (counter); cheaper than a UUID each time.
  private readonly tokenPrefix = randomBytes(6).toString('base64url');
  private tokenCounter = 0;
  private readonly admission: Admission;
  private readonly failures = new Map<number, number>();
  private readonly off: ReadonlySet<Feature>;

  constructor(private readonly deps: IngressDeps) {
    const { redis, bot, config } = deps;
    this.off = new Set(config.FEATURES_OFF ?? []);
    this.redis = redis;
    this.admission = new Admission(redis, config, deps.botInfo.id);
    // Keyed by bot id too: update ids are only unique per bot.
    this.keys = (suffix) => `${config.QUEUE_PREFIX}:bot:${deps.botInfo.id}:${suffix}`;
    bot.botInfo = deps.botInfo;
    // Telegraf's default handler prints the whole update (personal data) to the console; ours decides instead.
    bot.catch((err) => {
      throw err;
    });
    bot.use(this.attach());
    bot.use(Composer.compose(features));
  }

  get bot(): Telegraf<BotContext> {
    return this.deps.bot;
  }

  /** Handles one update; resolves once its job is in Redis (or it was refused). Throws if it could not be handled. */
  handleUpdate(update: Update): Promise<IngressOutcome> {
    const actor = actorOf(update);
    const trace: TraceContext = { update_id: update.update_id, user_id: actor?.telegramId, chat_id: actor?.chatId };
    if (!actor) return this.ignore(update, trace);
    const previous = this.chains.get(actor.chatId);
    const run = previous
      ? previous.catch(() => undefined).then(() => this.admitAndRoute(update, actor, trace))
      : this.admitAndRoute(update, actor, trace);
    const tail = run.finally(() => {
      if (this.chains.get(actor.chatId) === tail) this.chains.delete(actor.chatId);
    });
    // The tail never rejects into the void: callers get `run`'s rejection; the chain only orders.
    tail.catch(() => undefined);
    this.chains.set(actor.chatId, tail);
    return this.counted(run);
  }

  private counted(run: Promise<IngressOutcome>): Promise<IngressOutcome> {
    const metrics = this.deps.metrics;
    return metrics ? run.then((outcome) => (metrics.inc('switchyard_ingress_updates_total', { outcome }), outcome)) : run;
  }

  private async ignore(update: Update, trace: TraceContext): Promise<IngressOutcome> {
    this.deps.metrics?.inc('switchyard_ingress_updates_total', { outcome: 'ignored' });
    this.deps.log.debug('update ignored (no user)', { ...trace, kinds: Object.keys(update).filter((k) => k !== 'update_id') });
    return 'ignored';
  }

  private async admitAndRoute(update: Update, actor: Actor, trace: TraceContext): Promise<IngressOutcome> {
    const { config, log } = this.deps;
    const token = `${this.tokenPrefix}${++this.tokenCounter}`;
    const redis = this.redis;
    // On a cluster the chat's id tags its keys (one slot per chat), the user's id the bucket (dialog-keys.ts).
    const k = {
      dedupe: this.keys(redis.isCluster ? `update:${idTag(redis, actor.chatId)}:${update.update_id}` : `update:${update.update_id}`),
      lock: this.keys(`chat:${idTag(redis, actor.chatId)}:lock`),
      dialog: dialogKey(redis, config.QUEUE_PREFIX, this.deps.botInfo.id, actor.chatId, actor.telegramId),
    };
    // Money is never the user spamming: a pre-checkout (answered within 10 s) and a successful payment (the Stars
    // are taken already) pass the rate limit.
    const paying = 'pre_checkout_query' in update || 'successful_payment' in ((update as Partial<Update.MessageUpdate>).message ?? {});
    const request: AdmitRequest = { ...k, token, bucket: paying ? undefined : this.keys(`user:${idTag(redis, actor.telegramId)}:rate`) };
    let admitted = false;
    let handled = false;
    let dialog = new Dialog(null);
    try {
      let status: number;
      let rawDialog: string | null;
      let restore: 0 | 1;
      for (let attempt = 0; ; attempt++) {
        [status, rawDialog, restore] = await this.admission.admit(request);
        if (status !== 3) break;
        // Another instance holds this chat (or this very update): wait for it, bounded by the lock's TTL.
        if (attempt * 20 > LOCK_TTL_MS * 1.5) throw new Error(`chat ${actor.chatId} stayed locked`);
        await new Promise((r) => setTimeout(r, Math.min(5 + attempt * 5, 50)));
      }
      if (status === 0) {
        log.info('duplicate update dropped', trace);
        return 'duplicate';
      }
      admitted = true;
      if (restore && status === 1) rawDialog = await this.restoreDialog(update.update_id, actor, k.dialog, trace);
      dialog = Dialog.parse(rawDialog);
      if (status === 2 || status === 4) {
        if (status === 2) {
          await this.deps.enqueue(
            'message.send',
            { chatId: actor.chatId, updateId: update.update_id, lang: languageFromCode(actor.languageCode), template: { key: 'rate.limited' } },
            { jobId: `ratelimit-${update.update_id}` },
          );
        }
        log.info('update over the rate limit', { ...trace, notice_sent: status === 2 });
        handled = true;
        return 'rate_limited';
      }
      const state: Admitted = { dialog, actor, trace, jobs: 0 };
      this.admitted.set(update, state);
      try {
        await this.deps.bot.handleUpdate(update);
        // Mirrored to Postgres before the lock is released: a Redis loss after this does not lose the transition.
        if (dialog.changed) {
          await this.deps.enqueue(
            'dialog.save',
            { botId: this.deps.botInfo.id, chatId: actor.chatId, telegramId: actor.telegramId, updateId: update.update_id, state: dialog.current },
            { jobId: `dialog-save-${update.update_id}` },
          );
        }
      } catch (err) {
        const failures = (this.failures.get(update.update_id) ?? 0) + 1;
        const message = err instanceof Error ? err.message : String(err);
        if (!isFinal(err) && failures < MAX_UPDATE_FAILURES) {
          // Bounded: an update Telegram never redelivers must not keep its counter forever.
          if (this.failures.size > 10_000) this.failures.clear();
          this.failures.set(update.update_id, failures);
          throw err;
        }
        // Retrying cannot help (or has not): record it and let the update go, so it cannot block the chat or polling.
        this.failures.delete(update.update_id);
        log.error('update failed for good; dropped', { ...trace, error: redact(message), failures });
        handled = true;
        return 'failed';
      }
      this.failures.delete(update.update_id);
      handled = true;
      return state.jobs > 0 ? 'enqueued' : 'ignored';
    } finally {
      if (admitted) {
        const op = handled && dialog.changed ? (dialog.current ? 'set' : 'del') : 'keep';
        if (op !== 'keep') log.info('dialog transition', { ...trace, from: dialog.initial?.name ?? null, to: dialog.name });
        await this.admission.release({
          keys: [k.lock, k.dialog, k.dedupe],
          args: [token, op, JSON.stringify(dialog.current), config.FSM_TTL_SECONDS, handled ? 1 : 0],
        });
      }
    }
  }

  /**
   * Redis has no dialog state for this user and may have lost it (a flush, a failover): a worker copies the last one
   * from Postgres into Redis (`dialog.restore`) while the chat's lock waits, and the bot reads it from there. The bot
   * stays off Postgres. Given up after RESTORE_WAIT_MS (the update is routed as without a dialog, and logged).
   */
  private async restoreDialog(updateId: number, actor: Actor, key: string, trace: TraceContext): Promise<string | null> {
    await this.deps.enqueue('dialog.restore', { botId: this.deps.botInfo.id, chatId: actor.chatId, telegramId: actor.telegramId }, { jobId: `dialog-restore-${updateId}` });
    const until = Date.now() + RESTORE_WAIT_MS;
    for (let wait = 5; Date.now() < until; wait = Math.min(wait * 2, 50)) {
      const raw = await this.redis.get(key);
      if (raw !== null) {
        this.deps.log.info('dialog state restored from Postgres', { ...trace, dialog: raw === NO_DIALOG ? null : 'restored' });
        return raw;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
    this.deps.log.warn('dialog state not restored in time; routed without it', { ...trace, waited_ms: RESTORE_WAIT_MS });
    return null;
  }

  /** First middleware: gives features the dialog and the `act` door for this update. */
  private attach() {
    return async (ctx: BotContext, next: () => Promise<void>) => {
      const state = this.admitted.get(ctx.update);
      if (!state) throw new Error('update reached the features without admission');
      ctx.dialog = state.dialog;
      ctx.off = this.off;
      ctx.act = async (name, extra) => {
        if (state.jobs > 0) throw new Error(`update ${ctx.update.update_id} already mapped to a job`);
        state.jobs++;
        // The job id comes from the update id: a redelivered update cannot queue a second job.
        const job = await this.deps.enqueue(name, { ...extra, actor: state.actor, updateId: ctx.update.update_id } as never, {
          jobId: `update-${ctx.update.update_id}`,
        });
        this.deps.log.info('update enqueued', { ...state.trace, job: name, job_id: job.id, queue: job.queueName });
      };
      await next();
      if (ctx.callbackQuery) {
        if (ctx.state.unknownButton) this.deps.log.warn('button press with data no feature knows', { ...state.trace, security: 'callback.unknown' });
        await this.answerPress(ctx, state.trace);
      }
    };
  }

  /**
   * A button press is answered (the client's spinner stops) only once its job is queued: a press whose enqueue failed
   * comes again and is not lost. The answer is a courtesy: Telegram refusing it (after a backlog, "query is too
   * old") or not answering does not undo the press, whose job runs anyway.
   */
  private async answerPress(ctx: BotContext, trace: TraceContext): Promise<void> {
    try {
      await ctx.answerCbQuery();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.log.info('button press queued; its answer was refused', { ...trace, error: redact(message) });
    }
  }
}
