import { z } from 'zod';
import { actorSchema, dialogStateSchema, languageSchema, LANGUAGES, type Actor, type DialogState, type Language } from '../shared/actor';

// Who acts, in which language and dialog: shared with the repositories and the bot (src/shared/actor.ts).
export { actorSchema, dialogStateSchema, languageSchema, LANGUAGES, type Actor, type DialogState, type Language };

/** The update a job came from, so logs can follow one update to its reply. */
export const updateIdSchema = z.number().int().nonnegative().optional();

/** Commands only admins (ADMIN_IDS) may run: checked in the worker, which audits refusals. */
export const ADMIN_COMMANDS = ['stats', 'ban', 'unban', 'audit', 'grant', 'refund', 'backup', 'logs'] as const;
export type AdminCommand = (typeof ADMIN_COMMANDS)[number];

/** Canned replies a user action can ask for; each has a translation in src/domain/i18n. */
export const REPLY_KEYS = ['help', 'paysupport', 'terms', 'cancelled', 'feedback.prompt', 'unknown.command', 'unknown.text', 'unsupported', 'broadcast.usage', 'avatar.choice_expired', 'transcripts.unavailable', 'backups.unavailable'] as const;

/** Telegram's inline keyboard (callback and URL buttons), passed through untouched. */
export const inlineKeyboardSchema = z.object({
  inline_keyboard: z.array(
    z.array(
      z.union([
        z.object({ text: z.string().min(1).max(64), callback_data: z.string().min(1).max(64) }),
        z.object({ text: z.string().min(1).max(64), url: z.url() }),
      ]),
    ),
  ),
});

/** A translated message template: a key of src/domain/i18n and its parameters. */
export const templateSchema = z.object({ key: z.string().min(1).max(64), params: z.record(z.string(), z.string().max(4_000)).optional() });

/** A Telegram Stars invoice as `message.send` sends it (texts already translated, payload already signed). */
export const starsInvoiceSchema = z.object({
  title: z.string().min(1).max(32),
  description: z.string().min(1).max(255),
  payload: z.string().min(1).max(128),
  label: z.string().min(1).max(32),
  stars: z.number().int().positive().max(100_000),
});

/** Who asked for a job on demand (an admin's /backup) and hears how it went: their chat and language. */
export const requesterSchema = z.object({ chatId: z.number().int(), lang: languageSchema.default('en') });
