import type { z } from 'zod';
import type { inlineKeyboardSchema } from '../jobs/payloads';
import type { Language } from '../jobs/payloads';
import type { AvatarStyle } from '../shared/avatar-styles';
import { translate } from './i18n/messages';

export type InlineKeyboard = z.infer<typeof inlineKeyboardSchema>;

/**
 * Callback data of every button the workers put under a message, in one place: the bot's features match these
 * prefixes (src/bot/features/billing.feature.ts). Telegram allows 64 bytes.
 */
export const CALLBACK = {
  topup: 'topup',
  topupPackage: (id: number) => `topup:${id}`,
  historyPage: (page: number) => `history:${page}`,
  settingsLanguage: (lang: Language) => `settings:lang:${lang}`,
  settingsNotifications: (on: boolean) => `settings:notify:${on ? 'on' : 'off'}`,
  /** A style for the photo or file in message `messageId` (its source waits in the dialog state). */
  avatarStyle: (messageId: number, style: AvatarStyle) => `avatar:style:${messageId}:${style}`,
  avatarCurrent: (avatarId: number) => `avatar:current:${avatarId}`,
  avatarDelete: (avatarId: number) => `avatar:delete:${avatarId}`,
  transcriptShow: (id: number) => `transcript:show:${id}`,
  transcriptDelete: (id: number) => `transcript:delete:${id}`,
} as const;

/** One "Top up" button (under a refusal for too few coins, under a low-balance notice). */
export function topupButton(lang: Language): InlineKeyboard {
  return { inline_keyboard: [[{ text: translate(lang, 'button.topup'), callback_data: CALLBACK.topup }]] };
}

/**
 * Two buttons per listed item (`/avatars`, `/transcripts`): item n's row is each action's label (a translation key
 * taking `{n}`) with that action's callback data for the item's id.
 */
export function numberedActions(lang: Language, ids: number[], actions: Array<[labelKey: string, callback: (id: number) => string]>): InlineKeyboard {
  return {
    inline_keyboard: ids.map((id, i) => actions.map(([label, callback]) => ({ text: translate(lang, label, { n: String(i + 1) }), callback_data: callback(id) }))),
  };
}
