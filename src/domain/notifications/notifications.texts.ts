import type { Dictionary } from '../i18n/dictionary';

/**
 * Texts of sending itself: progress messages, broadcasts, the rate limit (src/domain/notifications), in English and Russian with the same keys. Assembled by
 * src/domain/i18n/messages.ts, which refuses to load when a key lacks a language (docs/I18N.md).
 */
export const en: Dictionary = {
  'rate.limited': 'You are sending messages too fast. Please wait a minute; I will answer new messages after that.',
  'broadcast.usage': 'Usage: /broadcast <text to send to every active user>',
  'progress.working': 'Working on it… {percent}',
  'progress.done': 'Done.',
  'broadcast.report': 'Broadcast finished: {sent} sent, {blocked} blocked the bot or left, {failed} failed — of {total}.',
};

export const ru: Dictionary = {
  'rate.limited': 'Вы отправляете сообщения слишком часто. Подождите минуту — после этого я отвечу на новые сообщения.',
  'broadcast.usage': 'Использование: /broadcast <текст для всех активных пользователей>',
  'progress.working': 'Работаю… {percent}',
  'progress.done': 'Готово.',
  'broadcast.report': 'Рассылка завершена: отправлено {sent}, заблокировали бота или удалили чат {blocked}, с ошибкой {failed} — из {total}.',
};
