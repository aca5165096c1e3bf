import { Composer } from 'telegraf';
import { message } from 'telegraf/filters';
import type { Language } from '../../jobs/payloads';
import type { BotContext } from '../context';

/**
 * The cabinet and Telegram Stars payments. Buttons (callback data in src/domain/keyboards.ts) are one job each, like
 * any command; the ingress answers the press once its job is queued (src/bot/ingress.ts).
 */
export const billingFeature = new Composer<BotContext>();

billingFeature.command('balance', (ctx) => ctx.act('balance.show', {}));
billingFeature.command('prices', (ctx) => ctx.act('prices.show', {}));
billingFeature.command('topup', (ctx) => ctx.act('topup.offer', {}));
billingFeature.command('history', (ctx) => ctx.act('history.show', {}));
billingFeature.command('usage', (ctx) => ctx.act('usage.show', {}));
billingFeature.command('settings', (ctx) => ctx.act('settings.update', {}));

billingFeature.action('topup', async (ctx) => {
  await ctx.act('topup.offer', {});
});
billingFeature.action(/^topup:(\d)$/, async (ctx) => {
  await ctx.act('topup.invoice', { packageId: Number(ctx.match[1]) });
});
billingFeature.action(/^history:(\d{1,6})$/, async (ctx) => {
  await ctx.act('history.show', { page: Number(ctx.match[1]), messageId: ctx.callbackQuery.message?.message_id });
});
billingFeature.action(/^settings:lang:(en|ru)$/, async (ctx) => {
  await ctx.act('settings.update', { change: { language: ctx.match[1] as Language }, messageId: ctx.callbackQuery.message?.message_id });
});
billingFeature.action(/^settings:notify:(on|off)$/, async (ctx) => {
  await ctx.act('settings.update', { change: { notifications: ctx.match[1] === 'on' }, messageId: ctx.callbackQuery.message?.message_id });
});

// Telegram waits ≤ 10 s for the answer: the billing worker checks the signed payload and answers (a LIFO job).
billingFeature.on('pre_checkout_query', (ctx) => {
  const q = ctx.preCheckoutQuery;
  return ctx.act('payment.precheckout', { queryId: q.id, invoicePayload: q.invoice_payload, currency: q.currency, totalAmount: q.total_amount });
});

billingFeature.on(message('successful_payment'), (ctx) => {
  const p = ctx.message.successful_payment;
  return ctx.act('payment.completed', {
    chargeId: p.telegram_payment_charge_id, invoicePayload: p.invoice_payload, currency: p.currency, totalAmount: p.total_amount,
  });
});
