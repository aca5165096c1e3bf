import { ChatUnreachableError } from '../../adapters/telegram.client';
import type { HandlerMap, WorkerDeps } from '../../jobs/handler.types';
import { translate } from '../i18n/messages';
import { splitText } from './split-text';

/** Notifications queue: the only code that sends user-visible messages. */
export function notificationHandlers(deps: WorkerDeps): HandlerMap<'notifications'> {
  const { telegram, users } = deps;
  return {
    'message.send': async ({ chatId, lang, text, template, parseMode, replyMarkup }, { job, log }) => {
      const body = text ?? translate(lang, template!.key, template!.params);
      const parts = splitText(body);
      // Parts already delivered by an earlier attempt (e.g. before a 429) are not sent again.
      const done = typeof job.progress === 'number' ? job.progress : 0;
      try {
        for (let i = done; i < parts.length; i++) {
          // Buttons belong under the last part, where the user reads on.
          const markup = i === parts.length - 1 ? replyMarkup : undefined;
          await telegram.sendMessage(chatId, parts[i]!, { parseMode, replyMarkup: markup });
          await job.updateProgress(i + 1);
        }
      } catch (err) {
        if (err instanceof ChatUnreachableError) {
          // The user blocked the bot (403) or the chat is gone: remember it and stop; retrying cannot help.
          const marked = chatId > 0 && (await users.setStatus(chatId, 'blocked_bot'));
          log.info('chat unreachable; not retrying', { chat_id: chatId, reason: err.message, marked_blocked: marked });
          return { delivered: false, reason: 'chat_unreachable' };
        }
        throw err;
      }
      return { delivered: true, parts: parts.length };
    },
  };
}
