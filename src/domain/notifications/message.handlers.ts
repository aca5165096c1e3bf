import type { Job } from 'bullmq';
import { ChatUnreachableError } from '../../adapters/telegram.client';
import type { HandlerMap, WorkerDeps } from '../../jobs/handler.types';
import { translate } from '../i18n/messages';
import { splitText } from './split-text';

/**
 * The receipt key of a notification job. Ids derived from domain ids (`reply-<update id>`) are stable across
 * re-adds; BullMQ's own numeric ids restart if Redis is ever emptied, so those are qualified by creation time.
 */
export function notificationKey(job: Job): string {
  return /^\d+$/.test(job.id ?? '') ? `${job.id}@${job.timestamp}` : job.id!;
}

/** Notifications queue: the only code that sends user-visible messages. */
export function notificationHandlers(deps: WorkerDeps): HandlerMap<'notifications'> {
  const { telegram, users, receipts, alerts, enqueue, config } = deps;
  return {
    'admin.alert': async ({ fingerprint, source, message, firstSeenAt }, { job }) => {
      const count = await alerts.take(fingerprint);
      const text = `⚠️ ${source}\n${message}\n×${Math.max(count, 1)} since ${firstSeenAt}`;
      await Promise.all(
        config.ADMIN_IDS.map((chatId) => enqueue('message.send', { chatId, text }, { jobId: `alert-${job.id}-${chatId}` })),
      );
      return { admins: config.ADMIN_IDS.length, count };
    },
    'message.send': async ({ chatId, lang, text, template, parseMode, replyMarkup }, { job, log }) => {
      const body = text ?? translate(lang, template!.key, template!.params);
      const parts = splitText(body);
      // Parts an earlier run of this job already delivered (before a 429, a crash, a stall) are not sent again.
      const key = notificationKey(job);
      const sent = await receipts.sentParts(key);
      try {
        for (let i = 0; i < parts.length; i++) {
          if (sent.has(i)) continue;
          // Buttons belong under the last part, where the user reads on.
          const markup = i === parts.length - 1 ? replyMarkup : undefined;
          const message = await telegram.sendMessage(chatId, parts[i]!, { parseMode, replyMarkup: markup });
          // The one window left: a crash between Telegram's answer and this insert repeats this one part.
          await receipts.record(key, i, chatId, message.message_id);
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
      return { delivered: true, parts: parts.length, alreadySent: sent.size };
    },
  };
}
