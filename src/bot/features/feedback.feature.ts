import { Composer } from 'telegraf';
import { message } from 'telegraf/filters';
import type { BotContext } from '../context';

/** /feedback → the bot asks for a message → the next text the user sends goes to the team. */
export const feedbackFeature = new Composer<BotContext>();

export const AWAITING_FEEDBACK = 'feedback.awaiting_text';

feedbackFeature.command('feedback', async (ctx) => {
  ctx.dialog.set(AWAITING_FEEDBACK);
  await ctx.act('account.reply', { key: 'feedback.prompt' });
});

feedbackFeature.on(message('text'), async (ctx, next) => {
  if (ctx.dialog.name !== AWAITING_FEEDBACK || ctx.message.text.startsWith('/')) return next();
  ctx.dialog.clear();
  await ctx.act('feedback.submit', { text: ctx.message.text.slice(0, 4000) });
});
