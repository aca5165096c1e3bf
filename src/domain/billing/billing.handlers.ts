import type { HandlerMap, WorkerDeps } from '../../jobs/handler.types';
import { reply } from '../reply';

/** Billing jobs of the cabinet. Amounts come from the ledger (balance) and the configuration (prices). */
export function billingHandlers(deps: WorkerDeps): Pick<HandlerMap<'billing'>, 'balance.show' | 'prices.show'> {
  const { enqueue, ledger, config } = deps;
  return {
    'balance.show': async ({ actor, updateId }, ctx) => {
      const coins = await ledger.balance(ctx.user!.id);
      await reply(enqueue, ctx, actor, updateId, { key: 'balance', params: { coins: String(coins) } });
      return { coins };
    },
    'prices.show': async ({ actor, updateId }, ctx) => {
      await reply(enqueue, ctx, actor, updateId, {
        key: 'prices',
        params: { transcript: String(config.PRICE_TRANSCRIPT_PER_MINUTE), avatar: String(config.PRICE_AVATAR) },
      });
      return {};
    },
  };
}
