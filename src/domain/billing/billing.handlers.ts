// Over 250 lines: the cabinet views and the Stars payment flow share one set of helpers (show, packages, signing key).
import { QUEUE_NAMES, type QueueName } from '../../config';
import { TelegramBadRequestError } from '../../adapters/telegram.client';
import { jobKey } from '../../jobs/job-key';
import type { Handlers, JobContext, WorkerDeps } from '../../jobs/handler.types';
import type { Language } from '../../jobs/payloads';
import type { LedgerEntry } from '../../repositories/ledger.repository';
import type { UserModel } from '../../repositories/user.model';
import { languageFromCode } from '../../shared/actor';
import { isOutage } from '../../lib/outage';
import { effect, outboxRows, relayEffects, relayRows, type Effect } from '../../jobs/outbox';
import { translate } from '../i18n/messages';
import { CALLBACK, type InlineKeyboard } from '../keyboards';
import { reply } from '../reply';
import { refundCharge } from './refunds';
import { invoiceKey, signInvoice, topupPackages, verifyCheckout } from './invoice';

type BillingJobs =
  | 'balance.show' | 'prices.show' | 'topup.offer' | 'topup.invoice' | 'payment.precheckout' | 'payment.completed'
  | 'history.show' | 'usage.show' | 'settings.update' | 'billing.sweep' | 'payment.refund' | 'outbox.relay' | 'payments.reconcile';

/** Where the reconciliation's cursor (an offset into Telegram's Star transactions, oldest first) is kept. */
export const RECONCILE_CURSOR = 'payments.reconcile.offset';
/** Star transactions asked for per call (the Bot API's maximum). */
const STAR_PAGE = 100;

/** Entries per /history page: short enough to read on a phone, far below Telegram's 4096 characters. */
export const HISTORY_PAGE_SIZE = 10;

/** Job states in which a job may still run (and settle its hold itself). */
const ALIVE = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized']);

function historyLine(lang: Language, e: LedgerEntry): string {
  const at = e.createdAt.toISOString().slice(0, 16).replace('T', ' ');
  const service = typeof e.details.service === 'string' ? ` ${translate(lang, `service.${e.details.service}`)}` : '';
  const amount = e.amount === 0 ? '' : `${e.amount > 0 ? '+' : '−'}${Math.abs(e.amount)}  `;
  return `${at}  ${amount}${translate(lang, `ledger.${e.kind}`)}${service}`;
}

function settingsView(user: UserModel): { text: string; replyMarkup: InlineKeyboard } {
  const lang = user.language;
  const other: Language = lang === 'en' ? 'ru' : 'en';
  return {
    text: translate(lang, 'settings', { notifications: translate(lang, user.notifications ? 'settings.on' : 'settings.off') }),
    replyMarkup: {
      inline_keyboard: [
        [{ text: translate(lang, `button.lang.${other}`), callback_data: CALLBACK.settingsLanguage(other) }],
        [{ text: translate(lang, user.notifications ? 'button.notify.off' : 'button.notify.on'), callback_data: CALLBACK.settingsNotifications(!user.notifications) }],
      ],
    },
  };
}

/** Billing jobs of the cabinet and of Telegram Stars payments. Coins come from the ledger only. */
export function billingHandlers(deps: WorkerDeps): Handlers<BillingJobs> {
  const { enqueue, ledger, holds, payments, users, config, telegram, audit, metrics, queues, alerts, outbox } = deps;
  // Derived on first use: building the handler table (at start-up, in tests) must not need a token.
  let signingKey: Buffer | undefined;
  const key = () => (signingKey ??= invoiceKey(config));
  const packages = () => topupPackages(config);
  // A page turned or a setting changed under a message: edit that message; otherwise answer with a new one.
  const show = (ctx: JobContext, chatId: number, updateId: number | undefined, messageId: number | undefined, text: string, replyMarkup?: InlineKeyboard) =>
    messageId
      ? enqueue('message.edit', { chatId, messageId, lang: ctx.user!.language, text, replyMarkup }, { jobId: `edit-${updateId ?? ctx.job.id}` })
      : enqueue('message.send', { chatId, updateId, lang: ctx.user!.language, text, replyMarkup }, { jobId: `reply-${updateId ?? ctx.job.id}` });


  return {
    'balance.show': async ({ actor, updateId }, ctx) => {
      // Read with the user's row at the start of the job (users.ensure): no statement of its own.
      const coins = ctx.balance ?? (await ledger.balance(ctx.user!.id));
      await reply(enqueue, ctx, actor, updateId, { key: 'balance', params: { coins: String(coins) } });
      return { coins };
    },

    'prices.show': async ({ actor, updateId }, ctx) => {
      await reply(enqueue, ctx, actor, updateId, {
        key: 'prices',
        params: { transcript: String(config.PRICE_TRANSCRIPT_PER_MINUTE), avatar: String(config.PRICE_AVATAR) },
      });
      return {};
    },

    'topup.offer': async ({ actor, updateId }, ctx) => {
      const lang = ctx.user!.language;
      await reply(enqueue, ctx, actor, updateId, {
        key: 'topup.offer',
        replyMarkup: {
          inline_keyboard: packages().map((p) => [
            { text: translate(lang, 'topup.package', { coins: String(p.coins), stars: String(p.stars) }), callback_data: CALLBACK.topupPackage(p.id) },
          ]),
        },
      });
      return { packages: config.TOPUP_PACKAGES.length };
    },

    'topup.invoice': async ({ actor, updateId, packageId }, ctx) => {
      const pkg = packages().find((p) => p.id === packageId);
      // A button from an older offer whose package is gone: offer the current ones instead.
      if (!pkg) return (await reply(enqueue, ctx, actor, updateId, { key: 'checkout.package' }), { offered: false });
      const lang = ctx.user!.language;
      const params = { coins: String(pkg.coins) };
      await enqueue(
        'message.send',
        {
          chatId: actor.chatId,
          updateId,
          lang,
          invoice: {
            title: translate(lang, 'invoice.title', params),
            description: translate(lang, 'invoice.description', params),
            label: translate(lang, 'invoice.title', params),
            stars: pkg.stars,
            // Nonce from the job: a retry re-sends the very same invoice.
            payload: signInvoice(key(), pkg, actor.telegramId, String(ctx.job.id).slice(-12).replace(/[^A-Za-z0-9_-]/g, '')),
          },
        },
        { jobId: `reply-${updateId ?? ctx.job.id}` },
      );
      return { packageId, stars: pkg.stars };
    },

    'payment.precheckout': async ({ actor, queryId, invoicePayload, currency, totalAmount }, ctx) => {
      // Runs without Postgres (actorPolicy 'none'): the signed payload is all it checks, so an outage of the database
      // does not decline a payment. The language is Telegram's.
      const verdict = verifyCheckout(key(), packages(), { payload: invoicePayload, currency, totalAmount, telegramId: actor.telegramId });
      // Answered too late (past Telegram's 10 s, after a backlog or a crash): Telegram declined the payment itself,
      // no Stars moved; the user can pay again. A clean drop, not a failure.
      const answer = async (ok: boolean, message?: string) => {
        try {
          await telegram.answerPreCheckoutQuery(queryId, ok, message);
          return true;
        } catch (err) {
          if (err instanceof TelegramBadRequestError && /query is too old|query id is invalid/i.test(err.message)) {
            ctx.log.warn('pre-checkout answered too late; Telegram declined the payment', { ok });
            metrics.inc('switchyard_payments_total', { outcome: 'checkout_expired' });
            return false;
          }
          throw err;
        }
      };
      if (verdict.ok) {
        if (!(await answer(true))) return { ok: false, expired: true };
        metrics.inc('switchyard_payments_total', { outcome: 'checkout_ok' });
        return { ok: true, packageId: verdict.pkg.id };
      }
      // Audited first (keyed by the query): a retry after a failed insert must not answer Telegram twice. With
      // Postgres away, Telegram's 10 s come first: answer, log the refusal, and leave the audit row out.
      const details = { reason: verdict.reason, currency, totalAmount };
      let audited = true;
      try {
        await audit.record({ actor: `user:${actor.telegramId}`, action: 'payment.checkout_refused', details, idempotencyKey: `checkout:${queryId}` });
      } catch (err) {
        if (!isOutage(err)) throw err;
        audited = false;
        ctx.log.warn('pre-checkout refused while Postgres is unreachable; not audited', details);
      }
      if (verdict.reason === 'forged') ctx.log.warn('pre-checkout of an invoice the bot did not issue', { security: 'checkout.forged' });
      // Telegram shows error_message to the user in the payment form: it says why, in their language.
      if (!(await answer(false, translate(languageFromCode(actor.languageCode), `checkout.${verdict.reason}`)))) return { ok: false, expired: true };
      metrics.inc('switchyard_payments_total', { outcome: 'checkout_refused' });
      return { ok: false, reason: verdict.reason, audited };
    },

    'payment.completed': async ({ actor, updateId, chargeId, invoicePayload, currency, totalAmount }, ctx) => {
      const user = ctx.user!;
      // What the user bought is what we signed (even if the offer changed since the checkout).
      const verdict = verifyCheckout(key(), 'as-signed', { payload: invoicePayload, currency, totalAmount, telegramId: actor.telegramId });
      if (!verdict.ok) {
        // Recorded (no coins, status unmatched) so an admin can /refund it or /grant by hand; the admins are told.
        await payments.recordUnmatched({ userId: user.id, chargeId, packageId: 'unmatched', currency, stars: totalAmount });
        await alerts.report('billing/payment.completed', `payment ${chargeId} matches no invoice (${verdict.reason}); recorded as unmatched`);
        await reply(enqueue, ctx, actor, updateId, { key: 'payment.problem' });
        return { credited: 0, reason: verdict.reason };
      }
      const pkg = verdict.pkg;
      // Banned between the pre-checkout and the payment: the Stars are recorded and given back, the admins told. A
      // banned user cannot spend coins, so keeping the money would sell them nothing (docs/BILLING.md).
      const banned = user.status === 'banned';
      // What follows the credit is written with it (the outbox), then relayed: one thank-you per charge, or the
      // refund, whatever dies in between. The job id is the charge's, so re-deliveries add nothing.
      let effects: Effect[] = [];
      const posting = await payments.credit({ userId: user.id, chargeId, packageId: String(pkg.id), currency, stars: totalAmount, coins: pkg.coins }, async (trx, credited) => {
        effects = banned
          ? [effect('payment.refund', { chargeId, reason: 'banned', telegramId: actor.telegramId }, `refund-${chargeId}`)]
          : [effect('message.send', { chatId: actor.chatId, updateId, lang: user.language, template: { key: 'topup.thanks', params: { coins: String(pkg.coins), balance: String(credited.balance), charge: chargeId } } }, `topup-thanks-${chargeId}`)];
        await outbox.add(trx, outboxRows(effects), `payment:${chargeId}`);
      });
      metrics.inc('switchyard_payments_total', { outcome: posting.applied ? 'credited' : 'duplicate' });
      await relayEffects(deps, effects);
      if (banned) return { credited: 0, refund: 'queued' };
      return { credited: posting.applied ? pkg.coins : 0, balance: posting.balance };
    },

    'payment.refund': async ({ chargeId, telegramId }, ctx) => {
      await audit.record({ actor: 'system:billing', action: 'payment.banned_refund', subject: `payment:${chargeId}`, details: { user: telegramId }, idempotencyKey: `banned-refund:${chargeId}` });
      const result = await refundCharge(deps, chargeId);
      if (result.outcome === 'refunded') metrics.inc('switchyard_payments_total', { outcome: 'refunded' });
      ctx.log.warn('payment of a banned user refunded', { charge: chargeId, outcome: result.outcome });
      const said = result.outcome === 'refunded' || result.outcome === 'already_refunded' ? 'refunded' : `NOT refunded (${result.outcome}); /refund it by hand`;
      await alerts.report('billing/payment.completed', `a banned user (${telegramId}) paid; payment ${chargeId} ${said}`);
      return { refund: result.outcome };
    },

    'payments.reconcile': async (_payload, ctx) => {
      // Telegram lists Star transactions oldest first; the cursor counts those already compared. Only transactions
      // older than the grace are compared (a younger one's update may still be on its way), so the cursor never
      // passes one that might be missed. Handling is idempotent: a run that dies before saving the cursor repeats.
      let offset = (await deps.state.get<number>(RECONCILE_CURSOR)) ?? 0;
      const before = Date.now() / 1000 - config.RECONCILE_GRACE_SECONDS;
      const missing: string[] = [];
      let compared = 0;
      for (let more = true; more; ) {
        const page = await telegram.getStarTransactions(offset, STAR_PAGE);
        more = page.length === STAR_PAGE;
        const known = await payments.known(page.map((t) => t.id));
        for (const tx of page) {
          if (tx.date > before) {
            more = false;
            break;
          }
          offset++;
          compared++;
          const payer = tx.source?.type === 'user' && tx.source.transaction_type === 'invoice_payment' ? tx.source : undefined;
          // Refunds (receiver) and other partners (ads, withdrawals) credit nobody.
          if (!payer?.user || known.has(tx.id)) continue;
          missing.push(tx.id);
          await audit.record({
            actor: 'system:payments.reconcile', action: 'payment.reconciled', subject: `payment:${tx.id}`,
            details: { user: payer.user.id, stars: tx.amount, date: tx.date }, idempotencyKey: `reconciled:${tx.id}`,
          });
          // Credited as if its update had arrived (the same checks, thanks, ban refund); keyed by the charge.
          await enqueue(
            'payment.completed',
            {
              actor: { telegramId: payer.user.id, chatId: payer.user.id },
              chargeId: tx.id, invoicePayload: payer.invoice_payload ?? '', currency: 'XTR', totalAmount: tx.amount,
            },
            { jobId: `reconciled-${tx.id}` },
          );
        }
      }
      await deps.state.set(RECONCILE_CURSOR, offset);
      if (missing.length) {
        metrics.inc('switchyard_payments_total', { outcome: 'reconciled' }, missing.length);
        ctx.log.warn('Stars payments with no record found by reconciliation; crediting them', { payments: missing.length });
        await alerts.report('billing/payments.reconcile', `reconciliation found ${missing.length} Stars payment(s) with no record, now credited: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
      }
      return { compared, missing: missing.length, offset };
    },

    'outbox.relay': async (_payload, ctx) => {
      // Committed, never relayed: the run that wrote them died before queuing them.
      const late = await relayRows(deps, await outbox.unrelayed(config.OUTBOX_RELAY_SECONDS));
      if (late) {
        metrics.inc('switchyard_outbox_total', { outcome: 'relayed_late' }, late);
        ctx.log.warn('outbox rows relayed late (their run died after its commit)', { rows: late });
      }
      // Relayed, not completed: ask BullMQ. Alive → wait; completed or failed → close; gone (Redis lost it) → again.
      const counts = { completed: 0, failed: 0, relayed_again: 0, abandoned: 0 };
      for (const row of await outbox.unconfirmed(config.OUTBOX_CONFIRM_SECONDS)) {
        const job = await queues.get(row.queue as QueueName).getJob(row.jobId);
        const state = job ? await job.getState() : 'missing';
        if (ALIVE.has(state)) continue;
        if (state === 'completed' || state === 'failed') {
          // A failed job told the admins itself (worker-runner); a completed one without the mark was queued before it.
          await outbox.done(row.id, state);
          counts[state]++;
        } else if (row.relays >= config.OUTBOX_MAX_RELAYS) {
          await outbox.done(row.id, 'abandoned');
          counts.abandoned++;
          await alerts.report('billing/outbox.relay', `outbox row ${row.id} (${row.name} ${row.jobId}) lost ${row.relays} times; given up`);
        } else {
          await relayRows(deps, [row]);
          counts.relayed_again++;
          ctx.log.warn('outbox job vanished from its queue; relayed again', { row: row.id, job: row.jobId, relays: row.relays + 1 });
        }
      }
      for (const [outcome, n] of Object.entries(counts)) if (n) metrics.inc('switchyard_outbox_total', { outcome }, n);
      return { late, ...counts };
    },

    'history.show': async ({ actor, updateId, page, messageId }, ctx) => {
      const user = ctx.user!;
      const lang = user.language;
      const { entries, more } = await ledger.history(user.id, page, HISTORY_PAGE_SIZE);
      if (!entries.length && page === 0) return (await reply(enqueue, ctx, actor, updateId, { key: 'history.empty' }), { entries: 0 });
      const buttons = [
        ...(page > 0 ? [{ text: translate(lang, 'button.newer'), callback_data: CALLBACK.historyPage(page - 1) }] : []),
        ...(more ? [{ text: translate(lang, 'button.older'), callback_data: CALLBACK.historyPage(page + 1) }] : []),
      ];
      const text = translate(lang, 'history.page', { page: String(page + 1), entries: entries.map((e) => historyLine(lang, e)).join('\n') });
      await show(ctx, actor.chatId, updateId, messageId, text, { inline_keyboard: buttons.length ? [buttons] : [] });
      return { entries: entries.length, page, more };
    },

    'usage.show': async ({ actor, updateId }, ctx) => {
      const lang = ctx.user!.language;
      const rows = await holds.usage(ctx.user!.id);
      if (!rows.length) return (await reply(enqueue, ctx, actor, updateId, { key: 'usage.empty' }), { services: 0 });
      const lines = rows.map((r) => translate(lang, 'usage.line', { service: translate(lang, `service.${r.service}`), count: String(r.count), coins: String(r.coins) }));
      const total = rows.reduce((sum, r) => sum + r.coins, 0);
      await reply(enqueue, ctx, actor, updateId, { key: 'usage', params: { lines: lines.join('\n'), total: String(total) } });
      return { services: rows.length, total };
    },

    'settings.update': async ({ actor, updateId, change, messageId }, ctx) => {
      let user = ctx.user!;
      if (change) {
        user = await users.updateSettings(user.id, change);
        await audit.record({ actor: `user:${actor.telegramId}`, action: 'settings.changed', details: change, idempotencyKey: `settings:${jobKey(config, ctx.job)}` });
        // The rest of this job (and every later reply) speaks the new language.
        ctx.user = user;
      }
      const view = settingsView(user);
      await show(ctx, actor.chatId, updateId, messageId, view.text, view.replyMarkup);
      return { language: user.language, notifications: user.notifications };
    },

    'billing.sweep': async (_payload, ctx) => {
      let released = 0;
      let seen = 0;
      // Page by hold id: holds of live jobs (a backlog) never hide the dead ones behind them.
      for (let after = 0; ; ) {
        const page = await holds.stale(config.HOLD_SWEEP_MINUTES, after);
        if (!page.length) break;
        after = page.at(-1)!.id;
        seen += page.length;
        for (const hold of page) {
          // A queue we do not know (a renamed queue, a hand-made row): leave it for a human, never guess "dead".
          if (!(QUEUE_NAMES as readonly string[]).includes(hold.queue)) continue;
          const job = await queues.get(hold.queue as QueueName).getJob(hold.jobId);
          const state = job ? await job.getState() : 'missing';
          // A job that can still run settles its own hold (it captures on success, releases on its last failure).
          if (ALIVE.has(state)) continue;
          // Audited first (keyed by the hold): a retry of this sweep after the release still leaves its record.
          await audit.record({ actor: 'system:billing.sweep', action: 'hold.released', subject: hold.key, details: { job: hold.jobId, state, amount: hold.amount }, idempotencyKey: `sweep:${hold.key}` });
          const { settled } = await holds.settle(hold.key, 'released', `sweep: job ${state}`);
          if (!settled) continue;
          released++;
          metrics.inc('switchyard_billing_holds_total', { service: hold.service, outcome: 'swept' });
          ctx.log.warn('hold released by the sweep', { hold: hold.key, job_state: state, amount: hold.amount });
        }
      }
      // Refunds whose job died between taking the coins and Telegram's answer: resumed (a repeat is safe).
      const resumed: Record<string, string> = {};
      for (const charge of await payments.stuckRefunds(config.HOLD_SWEEP_MINUTES)) {
        await audit.record({ actor: 'system:billing.sweep', action: 'refund.resumed', subject: `payment:${charge}`, details: {}, idempotencyKey: `sweep-refund:${charge}:${jobKey(config, ctx.job)}` });
        const result = await refundCharge(deps, charge);
        resumed[charge] = result.outcome;
        ctx.log.warn('stuck refund resumed by the sweep', { charge, outcome: result.outcome });
      }
      return { stale: seen, released, refundsResumed: resumed };
    },
  };
}
