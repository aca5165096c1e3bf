import { z } from 'zod';
import { defineJob } from '../../jobs/define';
import { actorSchema, languageSchema, updateIdSchema } from '../../jobs/payloads';

/**
 * The billing feature's jobs (their handlers: src/domain/billing/*.handlers.ts). Assembled with every feature's
 * into the catalogue by src/jobs/catalogue.ts. Imports only zod, the job machinery's definitions and payload schemas:
 * the bot loads this file, so nothing here may reach Postgres.
 */
export const billingJobs = {
  /** `/balance`: the user's coins. */
  'balance.show': defineJob({
    queue: 'interactive',
    description: "/balance: tell the user their coins",
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** `/prices`: what paid work costs, from the configuration. */
  'prices.show': defineJob({
    queue: 'interactive',
    description: '/prices: tell the user what paid work costs',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** `/topup` (or the "Top up" button under a refusal): the Stars packages on inline buttons. */
  'topup.offer': defineJob({
    queue: 'interactive',
    description: '/topup: show the Telegram Stars packages on inline buttons',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** A package button was pressed: send a Stars invoice whose payload is signed (checked at pre-checkout). */
  'topup.invoice': defineJob({
    queue: 'interactive',
    description: 'send a Telegram Stars invoice for the chosen package, with a signed payload',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, packageId: z.number().int().min(0).max(7) }),
  }),
  /**
   * Telegram asks whether to take the user's Stars; it waits at most 10 s: on the interactive queue, so it never
   * waits behind paid work (a burst of payments, reconciliation, sweeps). LIFO: it jumps the interactive queue's line,
   * retries included: they go straight back to the front (no backoff). A delayed retry would come back through the
   * delayed set, which BullMQ re-queues at the END of the line, behind every waiting job.
   */
  'payment.precheckout': defineJob({
    queue: 'interactive',
    description: 'check a pre-checkout (signed payload, package, amount, payer) and answer Telegram within its 10 s',
    options: { lifo: true, attempts: 3, backoff: { type: 'fixed', delay: 0 } },
    // Its answer goes to Telegram's query, not into the chat: nothing to keep a place for.
    replyInOrder: false,
    // Answered from the signed payload alone: a Postgres outage does not decline a payment.
    actorPolicy: 'none',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      queryId: z.string().min(1).max(128),
      invoicePayload: z.string().max(256),
      currency: z.string().max(8),
      totalAmount: z.number().int(),
    }),
  }),
  /** The Stars were paid: credit the coins once per charge id and thank the user with the new balance. */
  'payment.completed': defineJob({
    queue: 'billing',
    description: 'credit a successful Stars payment once (unique charge id) and thank the user; a banned payer is refunded',
    options: { attempts: 10 },
    // The thank-you keeps the payment's place in the chat's line (not the billing queue's default).
    replyInOrder: true,
    // Money received is never dropped: a banned payer's Stars are recorded and given back.
    actorPolicy: 'banned-too',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      chargeId: z.string().min(1).max(256),
      invoicePayload: z.string().max(256),
      currency: z.string().max(8),
      totalAmount: z.number().int(),
    }),
  }),
  /**
   * A payment's Stars given back (a banned payer): written to the outbox with the credit, so the refund follows the
   * money whatever dies in between (the refund state machine makes a repeat safe).
   */
  'payment.refund': defineJob({
    queue: 'billing',
    description: "refund a payment's Stars through the refund state machine (a banned payer), audited, admins told",
    options: { attempts: 10 },
    payload: z.object({ chargeId: z.string().min(1).max(256), reason: z.enum(['banned']), telegramId: z.number().int() }),
  }),
  /** `/history` and its page buttons: ledger entries, newest first. A button edits the page in place. */
  'history.show': defineJob({
    queue: 'interactive',
    description: '/history: one page of the ledger, newest first, with buttons to page',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, page: z.number().int().min(0).max(100_000).default(0), messageId: z.number().int().positive().optional() }),
  }),
  /** `/usage`: services used and coins spent. */
  'usage.show': defineJob({
    queue: 'interactive',
    description: '/usage: paid services used and coins spent on each',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** `/settings` and its buttons: language (ru / en) and notifications (on / off). */
  'settings.update': defineJob({
    queue: 'interactive',
    description: '/settings: show, or change language / notifications and show the result',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      change: z.union([z.object({ language: languageSchema }), z.object({ notifications: z.boolean() })]).optional(),
      messageId: z.number().int().positive().optional(),
    }),
  }),
  /** Scheduled: release holds whose job died or failed (see docs/BILLING.md). */
  'billing.sweep': defineJob({
    queue: 'billing',
    description: 'scheduled: release holds older than HOLD_SWEEP_MINUTES whose job is gone or failed',
    options: { attempts: 3 },
    payload: z.object({}),
  }),
  /** Scheduled: relay outbox rows a process died before relaying, and re-relay those whose job was lost. */
  'outbox.relay': defineJob({
    queue: 'billing',
    description: 'scheduled: queue outbox rows never relayed, and again those whose job vanished (Redis lost it)',
    options: { attempts: 3 },
    payload: z.object({}),
  }),
  /**
   * Scheduled: Telegram's Star transactions (getStarTransactions) compared with `payments`; a payment with no record
   * (its update lost) is credited through `payment.completed`, audited, and reported to the admins.
   */
  'payments.reconcile': defineJob({
    queue: 'billing',
    description: 'scheduled: credit Stars payments Telegram took that have no record (getStarTransactions), audited, admins told',
    options: { attempts: 3 },
    payload: z.object({}),
  }),
} as const;
