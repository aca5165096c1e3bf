import { Composer } from 'telegraf';
import type { BotContext } from '../context';

/** /start registers the user (in a worker) and gets the welcome. It also ends any dialog in progress. */
export const startFeature = new Composer<BotContext>();

startFeature.command('start', async (ctx) => {
  ctx.dialog.clear();
  await ctx.act('account.register', {});
});
