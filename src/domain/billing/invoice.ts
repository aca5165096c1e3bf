import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config';

export interface TopupPackage {
  /** Position in TOPUP_PACKAGES, shown on the button and carried in the payload. */
  id: number;
  coins: number;
  stars: number;
}

export function topupPackages(config: Pick<Config, 'TOPUP_PACKAGES'>): TopupPackage[] {
  return config.TOPUP_PACKAGES.map((p, id) => ({ id, ...p }));
}

/** The signing key: INVOICE_SECRET, or one derived from the bot token (already a secret only we hold). */
export function invoiceKey(config: Pick<Config, 'INVOICE_SECRET' | 'BOT_TOKEN'>): Buffer {
  if (config.INVOICE_SECRET) return Buffer.from(config.INVOICE_SECRET);
  if (!config.BOT_TOKEN) throw new Error('INVOICE_SECRET or BOT_TOKEN is needed to sign invoices');
  return createHmac('sha256', 'switchyard/invoice-key').update(config.BOT_TOKEN).digest();
}

const VERSION = 'i1';

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url').slice(0, 27);
}

/**
 * The invoice payload: `i1.<package>.<coins>.<stars>.<telegram id>.<nonce>.<mac>` (≈ 70 bytes of Telegram's 128).
 * It names what is bought and by whom; the MAC makes any change to it detectable at pre-checkout.
 */
export function signInvoice(key: Buffer, pkg: TopupPackage, telegramId: number, nonce = randomBytes(6).toString('base64url')): string {
  const body = [VERSION, pkg.id, pkg.coins, pkg.stars, telegramId, nonce].join('.');
  return `${body}.${mac(key, body)}`;
}

/** Why a checkout is refused; each reason has a translated text (`checkout.<reason>`). */
export type CheckoutRefusal = 'forged' | 'package' | 'amount' | 'currency' | 'user';

export interface CheckoutFacts {
  payload: string;
  currency: string;
  totalAmount: number;
  /** Who is paying (from the update, not from the payload). */
  telegramId: number;
}

/**
 * Checks what Telegram says is being paid against what we signed: the MAC, the package (at pre-checkout it must
 * still be on offer at the same coins and stars; `packages: 'as-signed'` after payment, when the signed terms
 * count whatever the offer is now), the amount, the currency and the payer.
 */
export function verifyCheckout(
  key: Buffer,
  packages: TopupPackage[] | 'as-signed',
  facts: CheckoutFacts,
): { ok: true; pkg: TopupPackage } | { ok: false; reason: CheckoutRefusal } {
  const parts = facts.payload.split('.');
  if (parts.length !== 7 || parts[0] !== VERSION) return { ok: false, reason: 'forged' };
  const body = parts.slice(0, 6).join('.');
  const expected = Buffer.from(mac(key, body));
  const given = Buffer.from(parts[6]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  const [, id, coins, stars, telegramId] = parts.map(Number) as number[];
  const pkg = packages === 'as-signed' ? { id: id!, coins: coins!, stars: stars! } : packages.find((p) => p.id === id);
  if (!pkg || pkg.coins !== coins || pkg.stars !== stars) return { ok: false, reason: 'package' };
  if (telegramId !== facts.telegramId) return { ok: false, reason: 'user' };
  if (facts.currency !== 'XTR') return { ok: false, reason: 'currency' };
  if (facts.totalAmount !== pkg.stars) return { ok: false, reason: 'amount' };
  return { ok: true, pkg };
}
