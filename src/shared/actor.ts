import { z } from 'zod';

/**
 * Who acts and in which language: the words the bot, the job payloads (src/jobs/payloads.ts) and the repositories
 * share, kept below all of them.
 */

/** Who acted: ids and the two profile fields registration needs (no names, no message text). */
export const actorSchema = z.object({
  telegramId: z.number().int().positive(),
  chatId: z.number().int(),
  username: z.string().max(64).optional(),
  languageCode: z.string().max(35).optional(),
});
export type Actor = z.infer<typeof actorSchema>;

export const LANGUAGES = ['en', 'ru'] as const;
export const languageSchema = z.enum(LANGUAGES);
export type Language = z.infer<typeof languageSchema>;

/** Telegram's language_code → one of our languages (Russian for ru/uk/be speakers, English otherwise). */
export function languageFromCode(code: string | undefined): Language {
  return code && /^(ru|uk|be)\b/i.test(code) ? 'ru' : 'en';
}

/** A user's place in a multi-step dialog (src/bot/fsm/dialog.ts): a name and a few small values (file ids, no text). */
export const dialogStateSchema = z.object({
  name: z.string().min(1).max(64),
  data: z.record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean()])).optional(),
});
export type DialogState = z.infer<typeof dialogStateSchema>;
