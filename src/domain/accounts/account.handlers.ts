import type { HandlerMap, WorkerDeps } from '../../jobs/handler.types';

/**
 * Account lifecycle jobs (billing queue: the account is what billing charges). The runner has already
 * registered the actor; these decide what to say and hand the words to `message.send`.
 */
export function accountHandlers(deps: WorkerDeps): HandlerMap<'billing'> {
  const { enqueue, audit, config } = deps;
  return {
    'account.register': async ({ actor, updateId }, { user, userCreated }) => {
      const lang = user?.language ?? 'en';
      if (userCreated) await audit.record({ actor: `user:${actor.telegramId}`, action: 'account.registered', subject: `user:${actor.telegramId}` });
      await enqueue(
        'message.send',
        { chatId: actor.chatId, updateId, lang, template: { key: userCreated ? 'welcome' : 'welcome.back' } },
        { jobId: `reply-${updateId ?? `${actor.telegramId}-${Date.now()}`}` },
      );
      return { registered: userCreated };
    },

    'account.reply': async ({ actor, updateId, key, params }, { user }) => {
      await enqueue(
        'message.send',
        { chatId: actor.chatId, updateId, lang: user?.language ?? 'en', template: { key, params } },
        { jobId: `reply-${updateId ?? `${actor.telegramId}-${Date.now()}`}` },
      );
      return { key };
    },

    'feedback.submit': async ({ actor, updateId, text }, { user }) => {
      await audit.record({ actor: `user:${actor.telegramId}`, action: 'feedback.submitted', details: { text } });
      const lang = user?.language ?? 'en';
      await enqueue('message.send', { chatId: actor.chatId, updateId, lang, template: { key: 'feedback.thanks' } }, { jobId: `reply-${updateId}` });
      await Promise.all(
        config.ADMIN_IDS.map((adminId) =>
          enqueue(
            'message.send',
            { chatId: adminId, updateId, template: { key: 'feedback.forward', params: { user: String(actor.telegramId), text } } },
            { jobId: `feedback-${updateId}-${adminId}` },
          ),
        ),
      );
      return { forwardedTo: config.ADMIN_IDS.length };
    },
  };
}
