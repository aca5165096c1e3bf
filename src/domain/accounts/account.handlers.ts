import { jobKey } from '../../jobs/job-key';
import type { Handlers, WorkerDeps } from '../../jobs/handler.types';
import { reply } from '../reply';
import { translate } from '../i18n/messages';


/**
 * Account lifecycle jobs (the interactive queue: quick replies). The runner has already
 * registered the actor; these decide what to say and hand the words to `message.send`.
 */
export function accountHandlers(deps: WorkerDeps): Handlers<'account.register' | 'account.reply' | 'feedback.submit'> {
  const { enqueue, audit, config, ledger } = deps;
  return {
    'account.register': async ({ actor, updateId }, ctx) => {
      const { user, userCreated } = ctx;
      const lang = user?.language ?? 'en';
      // Keyed by the user: a retry of this job (after the user row was made) still records it, and only once. The
      // event names the job that registered the user, so a retry of that job — its process died after this insert —
      // still knows it is the registration and says the first-time welcome, not "welcome back".
      const key = `account.registered:${actor.telegramId}`;
      const job = jobKey(config, ctx.job);
      const firstRegistration =
        (await audit.record({ actor: `user:${actor.telegramId}`, action: 'account.registered', subject: `user:${actor.telegramId}`, details: { job }, idempotencyKey: key })) ||
        (await audit.recordedBy(key, job));
      const isNew = userCreated || firstRegistration;
      // The welcome bonus, once per user whatever the retries or repeated /start (the key is the user). A retry of
      // the registration finds it posted already, and still tells the user about it.
      const bonus =
        config.WELCOME_BONUS > 0
          ? await ledger.post({ userId: user!.id, kind: 'bonus', amount: config.WELCOME_BONUS, idempotencyKey: `bonus:welcome:${user!.id}` })
          : { applied: false };
      const told = bonus.applied || (isNew && config.WELCOME_BONUS > 0);
      const text = translate(lang, isNew ? 'welcome' : 'welcome.back') + (told ? `\n${translate(lang, 'welcome.bonus', { coins: String(config.WELCOME_BONUS) })}` : '');
      await reply(enqueue, ctx, actor, updateId, { text });
      return { registered: isNew };
    },

    'account.reply': async ({ actor, updateId, key, params }, ctx) => {
      // The user's action goes into the audit trail (once, whatever the retries), e.g. "command.help".
      await audit.record({ actor: `user:${actor.telegramId}`, action: `command.${key}`, details: params ?? {}, idempotencyKey: `command:${jobKey(config, ctx.job)}` });
      await reply(enqueue, ctx, actor, updateId, { key, params });
      return { key };
    },

    'feedback.submit': async ({ actor, updateId, text }, ctx) => {
      // Kept for the team, but not in clear: the audit trail is read and exported by operators (docs/RELIABILITY.md).
      const idempotencyKey = `feedback:${jobKey(config, ctx.job)}`;
      const sealed = deps.keyring.seal(text, idempotencyKey);
      await audit.record({
        actor: `user:${actor.telegramId}`,
        action: 'feedback.submitted',
        details: { length: text.length, sealed: { keyId: sealed.keyId, data: sealed.data.toString('base64') } },
        idempotencyKey,
      });
      await reply(enqueue, ctx, actor, updateId, { key: 'feedback.thanks' });
      await Promise.all(
        config.ADMIN_IDS.map((adminId) =>
          enqueue(
            'message.send',
            { chatId: adminId, updateId, template: { key: 'feedback.forward', params: { user: String(actor.telegramId), text } } },
            { jobId: `feedback-${ctx.job.id}-${adminId}` },
          ),
        ),
      );
      return { forwardedTo: config.ADMIN_IDS.length };
    },
  };
}
