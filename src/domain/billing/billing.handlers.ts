import type { HandlerMap, JobContext, WorkerDeps } from '../../jobs/handler.types';

/** Billing jobs of the cabinet. Amounts come from the ledger (balance) and the configuration (prices). */
export function billingHandlers(deps: WorkerDeps): Pick<HandlerMap<'billing'>, 'balance.show' | 'prices.show'> {
  const { enqueue, ledger, config } = deps;
  const reply = (ctx: JobContext, chatId: number, updateId: number | undefined, key: string, params: Record<string, string>) =>
    enqueue('message.send', { chatId, updateId, lang: ctx.user?.language ?? 'en', template: { key, params } }, { jobId: `reply-${updateId ?? ctx.job.id}` });
  return {
    'balance.show': async ({ actor, updateId }, ctx) => {
      const coins = await ledger.balance(ctx.user!.id);
      await reply(ctx, actor.chatId, updateId, 'balance', { coins: String(coins) });
      return { coins };
    },
    'prices.show': async ({ actor, updateId }, ctx) => {
      await reply(ctx, actor.chatId, updateId, 'prices', { transcript: String(config.PRICE_TRANSCRIPT_PER_MINUTE), avatar: String(config.PRICE_AVATAR) });
      return {};
    },
  };
}
