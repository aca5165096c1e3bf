import type { Handlers, WorkerDeps } from '../../jobs/handler.types';

export function dialogHandlers(deps: WorkerDeps): Handlers<'dialog.save' | 'dialog.restore'> {
  const { dialogs } = deps;
  return {
    'dialog.save': async ({ botId, chatId, telegramId, updateId, state }) => ({ saved: await dialogs.save(botId, chatId, telegramId, updateId, state) }),
    'dialog.restore': async ({ botId, chatId, telegramId }) => dialogs.restore(botId, chatId, telegramId),
  };
}
