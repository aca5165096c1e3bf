import { Composer } from 'telegraf';
import type { BotContext } from '../context';

/**
 * What Telegram asks of a bot that sells for Stars: `/paysupport` (how to get help with a payment) and `/terms`
 * (the terms of coins and Stars). Canned, translated replies a worker sends, like /help (docs/BILLING.md).
 */
export const paymentTermsFeature = new Composer<BotContext>();

paymentTermsFeature.command('paysupport', (ctx) => ctx.act('account.reply', { key: 'paysupport' }));

paymentTermsFeature.command('terms', (ctx) => ctx.act('account.reply', { key: 'terms' }));
