import type { Ctx, Handler } from './bot-api.core';
import { outgoing } from './bot-api.messages';
import type { Json, Message, StarTransactions } from './sandbox.types';
import { badRequest } from './sandbox.util';

export const QUERY_INVALID = 'query is too old and response timeout expired or query ID is invalid';

function readPrices(ctx: Ctx): Array<{ label: string; amount: number }> {
  const prices = ctx.params.json<Json[]>('prices');
  if (!Array.isArray(prices) || prices.length === 0) throw badRequest('prices must be a non-empty array of LabeledPrice');
  return prices.map((p) => {
    if (typeof p?.label !== 'string' || !Number.isInteger(p.amount)) {
      throw badRequest("can't parse prices: LabeledPrice must have label and integer amount");
    }
    return { label: p.label, amount: p.amount as number };
  });
}

function sendInvoice(ctx: Ctx): Message {
  const { bot, params } = ctx;
  const chat = bot.targetChat(params.value('chat_id'));
  const title = params.str('title') ?? '';
  const description = params.str('description') ?? '';
  const payload = params.str('payload') ?? '';
  const currency = params.str('currency') ?? '';
  const providerToken = params.str('provider_token') ?? '';
  if (title.length < 1 || title.length > 32) throw badRequest('INVOICE_TITLE_INVALID: title must be 1-32 characters');
  if (description.length < 1 || description.length > 255) {
    throw badRequest('INVOICE_DESCRIPTION_INVALID: description must be 1-255 characters');
  }
  const payloadBytes = Buffer.byteLength(payload);
  if (payloadBytes < 1 || payloadBytes > 128) throw badRequest('INVOICE_PAYLOAD_INVALID: payload must be 1-128 bytes');
  if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('CURRENCY_INVALID');
  const prices = readPrices(ctx);
  // Telegram Stars: no payment provider and exactly one price (docs of sendInvoice).
  if (currency === 'XTR') {
    if (providerToken !== '') throw badRequest('PAYMENT_PROVIDER_INVALID: provider_token must be empty for payments in Telegram Stars');
    if (prices.length !== 1) throw badRequest('STARS_INVOICE_INVALID: prices must contain exactly one item for payments in Telegram Stars');
  } else if (providerToken === '') {
    throw badRequest('PAYMENT_PROVIDER_INVALID: provider_token is required for payments in real currencies');
  }
  const total = prices.reduce((sum, p) => sum + p.amount, 0);
  if (total <= 0 || prices.some((p) => p.amount <= 0 && currency === 'XTR')) throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID');
  const { fields, extra } = outgoing(ctx, chat);
  bot.spend(chat.id, 1);
  const invoice = { title, description, start_parameter: params.str('start_parameter') ?? '', currency, total_amount: total };
  return bot.addMessage(chat, { ...fields, invoice }, { ...extra, invoice: { payload, prices } }).message;
}

function answerPreCheckoutQuery({ bot, params }: Ctx): boolean {
  const rec = bot.preCheckouts.get(params.str('pre_checkout_query_id') ?? '');
  if (!rec || rec.answer || Date.now() > rec.deadline) throw badRequest(QUERY_INVALID);
  const ok = params.bool('ok');
  if (ok === undefined) throw badRequest('parameter "ok" is required');
  const errorMessage = params.str('error_message');
  if (!ok && !errorMessage) throw badRequest('error_message must be non-empty when ok is false');
  rec.answer = ok ? { ok } : { ok, error_message: errorMessage };
  bot.changed.notify();
  return true;
}

function refundStarPayment({ bot, params }: Ctx): boolean {
  const userId = params.requireInt('user_id', 'USER_ID_INVALID');
  const chargeId = params.str('telegram_payment_charge_id') ?? '';
  const charge = bot.charges.get(chargeId);
  if (!charge || charge.userId !== userId || charge.currency !== 'XTR') throw badRequest('CHARGE_NOT_FOUND');
  if (charge.refunded) throw badRequest('CHARGE_ALREADY_REFUNDED');
  charge.refunded = true;
  bot.recordStarRefund(chargeId, charge);
  return true;
}

/** The bot's Stars transactions in chronological order (oldest first): `offset` skips, `limit` is 1-100 (default 100). */
function getStarTransactions({ bot, params }: Ctx): StarTransactions {
  const offset = params.int('offset') ?? 0;
  const limit = params.int('limit') ?? 100;
  if (offset < 0) throw badRequest('OFFSET_INVALID: offset must be non-negative');
  if (limit < 1 || limit > 100) throw badRequest('LIMIT_INVALID: limit must be between 1 and 100');
  return { transactions: structuredClone(bot.starTransactions.slice(offset, offset + limit)) };
}

export const paymentMethods: Record<string, Handler> = { sendInvoice, answerPreCheckoutQuery, refundStarPayment, getStarTransactions };
