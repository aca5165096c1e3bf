import type { Telegram } from 'telegraf';
import type { BotCommand } from 'telegraf/types';
import { LANGUAGES, type Language } from '../jobs/payloads';
import { translate } from '../domain/i18n/messages';
import type { Logger } from '../lib/logger';
import { redact } from '../lib/logger';

/**
 * The command menu Telegram shows beside the input field, in each language: read from the `/help` text of that
 * language ("/balance — your coins" lines), so the menu and /help cannot drift apart.
 */
export function menuCommands(lang: Language): BotCommand[] {
  return translate(lang, 'help')
    .split('\n')
    .map((line) => /^\/([a-z0-9_]{1,32}) — (.{1,256})$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ command: m[1]!, description: m[2]! }));
}

/**
 * Publishes the menu at start: English as the default for every language, and each other language for its users.
 * A courtesy: a refusal or an outage is logged and the bot starts anyway (the next start tries again).
 */
export async function publishCommands(telegram: Telegram, log: Logger): Promise<void> {
  try {
    await telegram.setMyCommands(menuCommands('en'));
    for (const lang of LANGUAGES.filter((l) => l !== 'en')) await telegram.setMyCommands(menuCommands(lang), { language_code: lang });
  } catch (err) {
    log.warn('the command menu was not published', { error: redact(err instanceof Error ? err.message : String(err)) });
  }
}
