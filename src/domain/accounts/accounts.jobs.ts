import { z } from 'zod';
import { defineJob } from '../../jobs/define';
import { actorSchema, ADMIN_COMMANDS, dialogStateSchema, REPLY_KEYS, updateIdSchema } from '../../jobs/payloads';

/**
 * The accounts feature's jobs (their handlers: src/domain/accounts/*.handlers.ts). Assembled with every feature's
 * into the catalogue by src/jobs/catalogue.ts. Imports only zod, the job machinery's definitions and payload schemas:
 * the bot loads this file, so nothing here may reach Postgres.
 */
export const accountsJobs = {
  /** `/start`: register (or re-activate) the user and send the welcome. */
  'account.register': defineJob({
    queue: 'interactive',
    description: '/start: register the user on first contact and send the welcome',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** A canned reply to a user action (help, unknown command, …), in the user's language. */
  'account.reply': defineJob({
    queue: 'interactive',
    description: 'answer a user action with a canned, translated reply (/help, /cancel, unknown input)',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      key: z.enum(REPLY_KEYS),
      params: z.record(z.string(), z.string().max(64)).optional(),
    }),
  }),
  /** The text a user typed after `/feedback`: kept in the audit trail and forwarded to the admins. */
  'feedback.submit': defineJob({
    queue: 'interactive',
    description: 'store feedback a user wrote after /feedback and forward it to the admins',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, text: z.string().min(1).max(4000) }),
  }),
  /** An admin command. The worker checks the right (ADMIN_IDS); refusals are audited. */
  'admin.command': defineJob({
    // Billing, not interactive: /grant and /refund move coins and Stars.
    queue: 'billing',
    // Its answer keeps the command's place in the chat's line (not the billing queue's default).
    replyInOrder: true,
    description: 'run /stats, /ban, /unban, /audit, /grant, /refund or /backup for an admin; refuse and audit anyone else',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      command: z.enum(ADMIN_COMMANDS),
      args: z.array(z.string().max(64)).max(5),
    }),
  }),
  /** A dialog transition, mirrored to Postgres so a Redis loss does not drop the user mid-dialog. */
  'dialog.save': defineJob({
    queue: 'interactive',
    description: "write a (chat, user)'s new dialog state to dialog_states (a later update's state is never overwritten)",
    payload: z.object({ botId: z.number().int().positive(), chatId: z.number().int(), telegramId: z.number().int().positive(), updateId: z.number().int().nonnegative(), state: dialogStateSchema.nullable() }),
  }),
  /** Redis had no dialog state for a user while it may have lost some: put back the one Postgres kept. */
  'dialog.restore': defineJob({
    queue: 'interactive',
    description: "after a Redis loss: copy a (chat, user)'s last dialog state from dialog_states into Redis (or mark it as none)",
    // Last in, first out: the user's update is waiting for it.
    options: { attempts: 3, lifo: true },
    payload: z.object({ botId: z.number().int().positive(), chatId: z.number().int(), telegramId: z.number().int().positive() }),
  }),
} as const;
