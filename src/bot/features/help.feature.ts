import { Composer } from 'telegraf';
import type { BotContext } from '../context';

/** /help lists the commands; /cancel leaves whatever dialog the user is in. */
export const helpFeature = new Composer<BotContext>();

helpFeature.command('help', (ctx) => ctx.act('account.reply', { key: 'help' }));

helpFeature.command('cancel', async (ctx) => {
  ctx.dialog.clear();
  await ctx.act('account.reply', { key: 'cancelled' });
});
