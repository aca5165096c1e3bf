import { Composer } from 'telegraf';
import { ADMIN_COMMANDS } from '../../jobs/payloads';
import type { BotContext } from '../context';

/**
 * /stats, /ban <id>, /unban <id>, /audit [n], … Every such command becomes an `admin.command` job; the worker decides
 * whether the sender may run it (ADMIN_IDS) and audits refusals, in Postgres, which the bot does not use.
 */
export const adminFeature = new Composer<BotContext>();

// The text after /broadcast is the message; without one the sender learns how to use it.
adminFeature.command('broadcast', (ctx) => {
  const text = ctx.payload.trim();
  return text ? ctx.act('broadcast', { text: text.slice(0, 4_000) }) : ctx.act('account.reply', { key: 'broadcast.usage' });
});

for (const command of ADMIN_COMMANDS) {
  adminFeature.command(command, (ctx) => ctx.act('admin.command', { command, args: ctx.args.slice(0, 5).map((a) => a.slice(0, 64)) }));
}
