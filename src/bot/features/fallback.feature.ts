import { Composer } from 'telegraf';
import { message } from 'telegraf/filters';
import type { BotContext } from '../context';

/** Last in line: whatever no feature took still gets a helpful answer (sent by a worker). */
export const fallbackFeature = new Composer<BotContext>();

fallbackFeature.on(message('text'), async (ctx) => {
  const command = /^\/[A-Za-z0-9_]{1,32}/.exec(ctx.message.text)?.[0];
  if (command) await ctx.act('account.reply', { key: 'unknown.command', params: { command } });
  else await ctx.act('account.reply', { key: 'unknown.text' });
});

fallbackFeature.on('message', (ctx) => ctx.act('account.reply', { key: 'unsupported' }));

// A button no feature knows: Switchyard never sent it (its patterns do not change), so it was crafted or comes from
// another bot's build. No work to queue; the ingress answers it (the spinner stops) and logs a security event.
fallbackFeature.on('callback_query', (ctx) => {
  ctx.state.unknownButton = true;
});
