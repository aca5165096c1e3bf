import { expect } from 'chai';
import { RECONCILE_CURSOR } from '../../src/domain/billing/billing.handlers';
import { refundCharge } from '../../src/domain/billing/refunds';
import type { SandboxMessage } from '../../src/sandbox/sandbox.types';
import { invoiceFor as invoiceOf, nextMessage as nextIn } from '../support/chat';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const ADMIN = 7171;
const BONUS = 10;

/**
 * Reconciliation (docs/RELIABILITY.md): a payment Telegram took whose `successful_payment` never reached us (lost
 * with Redis, say) is found in getStarTransactions, credited once, thanked, audited and reported to the admins.
 */
describe('reconciliation with Telegram: a payment whose update was lost is credited', function () {
  this.timeout(40_000);
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({
      // Scheduled runs off (the test queues each run itself); no grace, so a payment just made is compared.
      env: { ADMIN_IDS: String(ADMIN), RECONCILE_EVERY_MINUTES: '0', RECONCILE_GRACE_SECONDS: '0', WELCOME_BONUS: String(BONUS), ALERT_DELAY_MS: '0', TOPUP_PACKAGES: '100:50' },
      limits: { enabled: false },
    });
    await stack.client.createUser({ id: ADMIN, first_name: 'Admin' });
  });
  after(() => stack?.stop());

  const client = () => stack.client;
  const nextMessage = (userId: number, afterId: number, match: (m: SandboxMessage) => boolean) => nextIn(client(), userId, afterId, match);
  let runs = 0;
  /** One run of the reconciliation job, as the scheduler would queue it; its result. */
  async function reconcile(): Promise<{ compared: number; missing: number; offset: number }> {
    const job = await stack.workers!.deps.enqueue('payments.reconcile', {}, { jobId: `reconcile-test-${++runs}` });
    await waitFor(async () => (await job.getState()) === 'completed', 'reconciliation done', 15_000);
    return (await stack.workers!.deps.queues.get('billing').getJob(job.id!))!.returnvalue;
  }
  const invoiceFor = (userId: number) => invoiceOf(client(), userId);

  it('credits a payment Telegram took with no update, once, thanks the user, audits and tells the admins', async () => {
    const user = await stack.registered();
    const invoice = await invoiceFor(user.id);
    const payload = (invoice.invoice as { payload: string }).payload;
    // Telegram charged the user; the update never arrived.
    const charge = await client().recordStarPayment(user.id, { invoicePayload: payload, amount: 50 });
    expect(await stack.balanceOf(user.id)).to.equal(BONUS);
    const adminBefore = (await client().messages(ADMIN)).length;

    const first = await reconcile();
    expect(first).to.include({ missing: 1 });
    const thanks = await nextMessage(user.id, invoice.message_id, (m) => m.text?.startsWith('Thank you!') === true);
    expect(thanks.text).to.contain(`Your balance: ${BONUS + 100} coins.`);
    expect(await stack.knex('payments').where({ telegram_payment_charge_id: charge }).first()).to.include({ status: 'paid', coins: 100 });
    expect(await stack.knex('audit_events').where({ action: 'payment.reconciled', subject: `payment:${charge}` })).to.have.length(1);
    await waitFor(async () => (await client().messages(ADMIN)).slice(adminBefore).some((m) => /reconciliation found 1 Stars payment/.test(m.text ?? '')), 'admins told', 10_000);

    // Run again: the cursor moved past it; nothing is credited twice.
    const second = await reconcile();
    expect(second).to.include({ missing: 0, compared: 0, offset: first.offset });
    expect(await stack.workers!.deps.state.get(RECONCILE_CURSOR)).to.equal(first.offset);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS + 100);
  });

  it('a payment that arrived normally is compared and not reported; a refund credits nobody', async () => {
    const user = await stack.registered();
    const invoice = await invoiceFor(user.id);
    const paid = await client().payInvoice(user.id, invoice.message_id);
    await waitFor(async () => (await stack.balanceOf(user.id)) === BONUS + 100, 'credited');
    const adminBefore = (await client().messages(ADMIN)).length;
    const result = await reconcile();
    expect(result).to.include({ compared: 1, missing: 0 });
    expect(await stack.knex('audit_events').where({ action: 'payment.reconciled', subject: `payment:${paid.telegram_payment_charge_id}` })).to.have.length(0);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS + 100);
    await new Promise((r) => setTimeout(r, 500));
    expect((await client().messages(ADMIN)).slice(adminBefore).filter((m) => /reconciliation/.test(m.text ?? ''))).to.have.length(0);
    // Refunded: Telegram lists the refund (same id, to the user); it is compared and credits nobody.
    expect((await refundCharge(stack.workers!.deps, paid.telegram_payment_charge_id!)).outcome).to.equal('refunded');
    expect(await reconcile()).to.include({ compared: 1, missing: 0 });
    expect(await stack.balanceOf(user.id)).to.equal(BONUS);
  });
});
