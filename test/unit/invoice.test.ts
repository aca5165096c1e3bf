import { expect } from 'chai';
import { invoiceKey, signInvoice, topupPackages, verifyCheckout } from '../../src/domain/billing/invoice';

describe('invoice payloads (pure)', () => {
  const config = { TOPUP_PACKAGES: [{ coins: 100, stars: 50 }, { coins: 550, stars: 250 }], INVOICE_SECRET: 'a-secret-of-sixteen+', BOT_TOKEN: undefined };
  const key = invoiceKey(config);
  const packages = topupPackages(config);
  const pkg = packages[1]!;
  const facts = (payload: string, over: Partial<{ currency: string; totalAmount: number; telegramId: number }> = {}) => ({
    payload, currency: 'XTR', totalAmount: 250, telegramId: 42, ...over,
  });

  it('accepts the payload it signed, for the user and amount it names, and fits Telegram’s 128 bytes', () => {
    const payload = signInvoice(key, pkg, 42);
    expect(Buffer.byteLength(payload)).to.be.at.most(128);
    expect(verifyCheckout(key, packages, facts(payload))).to.deep.equal({ ok: true, pkg });
  });

  it('refuses a payload whose coins were raised, or signed with another key, as forged', () => {
    const payload = signInvoice(key, pkg, 42);
    const raised = payload.replace('.550.', '.5500.');
    expect(verifyCheckout(key, packages, facts(raised))).to.deep.equal({ ok: false, reason: 'forged' });
    const other = signInvoice(invoiceKey({ ...config, INVOICE_SECRET: 'another-secret-key!!' }), pkg, 42);
    expect(verifyCheckout(key, packages, facts(other))).to.deep.equal({ ok: false, reason: 'forged' });
    expect(verifyCheckout(key, packages, facts('garbage'))).to.deep.equal({ ok: false, reason: 'forged' });
  });

  it('refuses a wrong amount, currency or payer, and a package no longer on offer', () => {
    const payload = signInvoice(key, pkg, 42);
    expect(verifyCheckout(key, packages, facts(payload, { totalAmount: 1 }))).to.deep.equal({ ok: false, reason: 'amount' });
    expect(verifyCheckout(key, packages, facts(payload, { currency: 'USD' }))).to.deep.equal({ ok: false, reason: 'currency' });
    expect(verifyCheckout(key, packages, facts(payload, { telegramId: 43 }))).to.deep.equal({ ok: false, reason: 'user' });
    const repriced = topupPackages({ TOPUP_PACKAGES: [{ coins: 100, stars: 50 }, { coins: 600, stars: 250 }] });
    expect(verifyCheckout(key, repriced, facts(payload))).to.deep.equal({ ok: false, reason: 'package' });
  });

  it('derives a key from the bot token when no INVOICE_SECRET is set', () => {
    const a = invoiceKey({ INVOICE_SECRET: undefined, BOT_TOKEN: '123:AAAAAAAAAAAAAAAAAAAAAAAA' });
    const b = invoiceKey({ INVOICE_SECRET: undefined, BOT_TOKEN: '123:BBBBBBBBBBBBBBBBBBBBBBBB' });
    expect(a.equals(b)).to.equal(false);
    expect(() => invoiceKey({ INVOICE_SECRET: undefined, BOT_TOKEN: undefined })).to.throw(/INVOICE_SECRET/);
  });
});
