import type { Language } from '../../jobs/payloads';

type Dictionary = Record<string, string>;

// Keep keys in step: test/unit/i18n.test.ts fails when a key is missing in one language.
const en: Dictionary = {
  welcome: 'Welcome to Switchyard! 👋\nI turn your requests into jobs and report back when they are done.\nSend /help to see what I can do.',
  'welcome.back': 'Welcome back! Send /help to see what I can do.',
  'welcome.bonus': 'You got {coins} coins to start with. /balance shows them, /prices what things cost.',
  balance: 'Your balance: {coins} coins.',
  prices: 'Prices:\nTranscript: {transcript} coins per started minute\nAvatar: {avatar} coins',
  help: 'What I can do:\n/start — register and get a welcome\n/help — this list\n/balance — your coins\n/prices — what things cost\n/feedback — write to the team\n/cancel — stop the current dialog',
  cancelled: 'Cancelled. Send /help to see what I can do.',
  'feedback.prompt': 'Write your feedback in one message. Send /cancel to stop.',
  'feedback.thanks': 'Thank you! Your feedback reached the team.',
  'feedback.forward': 'Feedback from user {user}:\n{text}',
  'unknown.command': 'I do not know the command {command}. Send /help to see what I can do.',
  'unknown.text': 'I only understand commands for now. Send /help to see them.',
  unsupported: 'I cannot handle this kind of message yet. Send /help to see what I can do.',
  'rate.limited': 'You are sending messages too fast. Please wait a minute; I will answer new messages after that.',
  'admin.refused': 'This command is for administrators only.',
  'admin.usage': 'Usage: {usage}',
  'admin.banned': 'User {user} is banned: their messages are ignored from now on.',
  'admin.unbanned': 'User {user} is active again.',
  'admin.unknown_user': 'No user with Telegram id {user} has written to the bot.',
  'admin.granted': 'Granted {coins} coins to user {user}; their balance is now {balance}.',
  'admin.grant_refused': 'Not done: user {user} has only {balance} coins.',
  'admin.stats': 'Users: {users} (active {active}, blocked the bot {blocked}, banned {banned})\nQueues (waiting / active / failed):\n{queues}\nJobs failed in the last 24 h: {failed24h}',
  'admin.audit': 'Latest audit events:\n{events}',
  'admin.audit.empty': 'The audit trail is empty.',
  'broadcast.usage': 'Usage: /broadcast <text to send to every active user>',
  'progress.working': 'Working on it… {percent}',
  'progress.done': 'Done.',
  'broadcast.report': 'Broadcast finished: {sent} sent, {blocked} blocked the bot or left, {failed} failed — of {total}.',
};

const ru: Dictionary = {
  welcome: 'Добро пожаловать в Switchyard! 👋\nЯ превращаю ваши запросы в задания и сообщаю, когда они готовы.\nОтправьте /help, чтобы узнать, что я умею.',
  'welcome.back': 'С возвращением! Отправьте /help, чтобы узнать, что я умею.',
  'welcome.bonus': 'Вам начислено {coins} монет для начала. /balance — баланс, /prices — цены.',
  balance: 'Ваш баланс: {coins} монет.',
  prices: 'Цены:\nРасшифровка: {transcript} монет за начатую минуту\nАватар: {avatar} монет',
  help: 'Что я умею:\n/start — регистрация и приветствие\n/help — этот список\n/balance — ваши монеты\n/prices — цены\n/feedback — написать команде\n/cancel — прервать текущий диалог',
  cancelled: 'Отменено. Отправьте /help, чтобы узнать, что я умею.',
  'feedback.prompt': 'Напишите отзыв одним сообщением. Отправьте /cancel, чтобы отменить.',
  'feedback.thanks': 'Спасибо! Ваш отзыв получен командой.',
  'feedback.forward': 'Отзыв от пользователя {user}:\n{text}',
  'unknown.command': 'Я не знаю команду {command}. Отправьте /help, чтобы узнать, что я умею.',
  'unknown.text': 'Пока я понимаю только команды. Отправьте /help, чтобы их увидеть.',
  unsupported: 'Такие сообщения я пока не обрабатываю. Отправьте /help, чтобы узнать, что я умею.',
  'rate.limited': 'Вы отправляете сообщения слишком часто. Подождите минуту — после этого я отвечу на новые сообщения.',
  'admin.refused': 'Эта команда только для администраторов.',
  'admin.usage': 'Использование: {usage}',
  'admin.banned': 'Пользователь {user} заблокирован: его сообщения больше не обрабатываются.',
  'admin.unbanned': 'Пользователь {user} снова активен.',
  'admin.unknown_user': 'Пользователь с Telegram id {user} боту не писал.',
  'admin.granted': 'Пользователю {user} начислено {coins} монет; теперь у него {balance}.',
  'admin.grant_refused': 'Не выполнено: у пользователя {user} только {balance} монет.',
  'admin.stats': 'Пользователи: {users} (активны {active}, заблокировали бота {blocked}, забанены {banned})\nОчереди (ждут / в работе / с ошибкой):\n{queues}\nЗаданий с ошибкой за 24 ч: {failed24h}',
  'admin.audit': 'Последние события аудита:\n{events}',
  'admin.audit.empty': 'Журнал аудита пуст.',
  'broadcast.usage': 'Использование: /broadcast <текст для всех активных пользователей>',
  'progress.working': 'Работаю… {percent}',
  'progress.done': 'Готово.',
  'broadcast.report': 'Рассылка завершена: отправлено {sent}, заблокировали бота или удалили чат {blocked}, с ошибкой {failed} — из {total}.',
};

export const dictionaries: Record<Language, Dictionary> = { en, ru };

export class UnknownTemplateError extends Error {
  override readonly name = 'UnknownTemplateError';
}

/** Renders a template in a language; `{name}` placeholders are filled from params. Unknown keys throw. */
export function translate(lang: Language, key: string, params: Record<string, string> = {}): string {
  const template = dictionaries[lang][key] ?? dictionaries.en[key];
  if (template === undefined) throw new UnknownTemplateError(`no message template "${key}"`);
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}
