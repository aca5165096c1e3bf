import { z } from 'zod';
import { defineJob } from './define';
import { actorSchema, ADMIN_COMMANDS, inlineKeyboardSchema, languageSchema, REPLY_KEYS, updateIdSchema } from './payloads';

/**
 * The job catalogue: the single source of truth for job name → queue, payload schema and options.
 * The bot and the workers both import it; docs/JOBS.md describes each entry for operators.
 */
export const catalogue = {
  /** `/start`: register (or re-activate) the user and send the welcome. */
  'account.register': defineJob({
    queue: 'billing',
    description: '/start: register the user on first contact and send the welcome',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** A canned reply to a user action (help, unknown command, …), in the user's language. */
  'account.reply': defineJob({
    queue: 'billing',
    description: 'answer a user action with a canned, translated reply (/help, /cancel, unknown input)',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      key: z.enum(REPLY_KEYS),
      params: z.record(z.string(), z.string().max(64)).optional(),
    }),
  }),
  /** `/balance`: the user's coins. */
  'balance.show': defineJob({
    queue: 'billing',
    description: "/balance: tell the user their coins",
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** `/prices`: what paid work costs, from the configuration. */
  'prices.show': defineJob({
    queue: 'billing',
    description: '/prices: tell the user what paid work costs',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** An admin command. The worker checks the right (ADMIN_IDS or role admin); refusals are audited. */
  'admin.command': defineJob({
    queue: 'billing',
    description: 'run /stats, /ban, /unban or /audit for an admin; refuse and audit anyone else',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      command: z.enum(ADMIN_COMMANDS),
      args: z.array(z.string().max(64)).max(5),
    }),
  }),
  /** The text a user typed after `/feedback`: kept in the audit trail and forwarded to the admins. */
  'feedback.submit': defineJob({
    queue: 'billing',
    description: 'store feedback a user wrote after /feedback and forward it to the admins',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, text: z.string().min(1).max(4000) }),
  }),
  /** Replace the text of a message sent earlier by `message.send` (found by its job id, through its receipt). */
  'message.edit': defineJob({
    queue: 'notifications',
    description: 'edit a message sent earlier (a "working…" message advancing with its job)',
    options: { attempts: 5 },
    payload: z.object({
      chatId: z.number().int(),
      /** The job id of the `message.send` that sent the message. */
      messageJobId: z.string().min(1).max(200),
      lang: languageSchema.default('en'),
      template: z.object({ key: z.string().min(1).max(64), params: z.record(z.string(), z.string().max(4_000)).optional() }),
      /** Per-chat sequence number (set by enqueue()): an edit goes out after the messages queued before it. */
      seq: z.number().int().positive().optional(),
    }),
  }),
  /** A throttled, de-duplicated failure report to the admins (see src/observability/admin-alerts.ts). */
  'admin.alert': defineJob({
    queue: 'notifications',
    description: 'tell the admins about a failure, with how often it happened since the last alert',
    options: { attempts: 3 },
    payload: z.object({
      fingerprint: z.string().min(1).max(400),
      source: z.string().min(1).max(200),
      message: z.string().min(1).max(1_000),
      firstSeenAt: z.string().max(40),
    }),
  }),
  /** Admin `/broadcast <text>`: one message to every active user, fanned out in pages, reported back at the end. */
  broadcast: defineJob({
    queue: 'notifications',
    description: 'fan one admin message out to every active user; report sent / blocked / failed to the admin',
    options: { attempts: 3 },
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, text: z.string().min(1).max(4_000) }),
  }),
  /** The only path for user-visible messages. Either `text` or a translated `template`. */
  'message.send': defineJob({
    queue: 'notifications',
    description: 'send one message to one chat (split past 4096 characters); 403 marks the user blocked',
    options: { attempts: 8 },
    payload: z
      .object({
        chatId: z.number().int(),
        updateId: updateIdSchema,
        lang: languageSchema.default('en'),
        text: z.string().min(1).max(64_000).optional(),
        template: z.object({ key: z.string().min(1).max(64), params: z.record(z.string(), z.string().max(4_000)).optional() }).optional(),
        parseMode: z.enum(['HTML', 'MarkdownV2']).optional(),
        /** Set when the message is part of a broadcast: its outcome is counted into the broadcast's report. */
        broadcastId: z.string().max(100).optional(),
        /** Per-chat sequence number, set by enqueue(): the chat's messages go out in this order. */
        seq: z.number().int().positive().optional(),
        replyMarkup: inlineKeyboardSchema.optional(),
      })
      .refine((p) => (p.text === undefined) !== (p.template === undefined), 'exactly one of text or template'),
  }),
} as const;

export type Catalogue = typeof catalogue;
export type JobName = keyof Catalogue;
export type QueueOf<N extends JobName> = Catalogue[N]['queue'];
/** What a producer passes (defaults may be omitted). */
export type PayloadInput<N extends JobName> = z.input<Catalogue[N]['payload']>;
/** What a handler receives (defaults filled in). */
export type Payload<N extends JobName> = z.output<Catalogue[N]['payload']>;
export type JobsOfQueue<Q extends string> = { [N in JobName]: Catalogue[N]['queue'] extends Q ? N : never }[JobName];

export const JOB_NAMES = Object.keys(catalogue) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(catalogue, name);
}
