import { Composer } from 'telegraf';
import type { BotContext } from '../context';

/** The cabinet's first commands; the worker answers from the ledger and the configuration. */
export const billingFeature = new Composer<BotContext>();

billingFeature.command('balance', (ctx) => ctx.act('balance.show', {}));
billingFeature.command('prices', (ctx) => ctx.act('prices.show', {}));
