import { expect } from 'chai';
import type { SandboxMessage } from '../../src/sandbox/sandbox.types';
import { TelegramRefusedError } from '../../src/repositories/payments.repository';
import { invoiceFor as invoiceOf, buttons, nextMessage as nextIn } from '../support/chat';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const ADMIN = 6161;
const BONUS = 30;

/**
 * Money received is never dropped (docs/RELIABILITY.md): a payment over the rate limit, a payment by a user banned
 * after the pre-checkout, a refund Telegram refused once and then granted, a refund stranded half-way — each ends
 * with every Star credited or given back, and the ledger summing to the balance.
 */
describe('payments under faults: rate limit, bans, refunds retried from any state', function () {
  this.timeout(40_000);
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({
      // A small bucket, refilled slowly: a user is over the limit after a handful of messages.
      env: { ADMIN_IDS: String(ADMIN), RATE_LIMIT_BURST: '5', RATE_LIMIT_PER_MINUTE: '1', WELCOME_BONUS: String(BONUS), ALERT_DELAY_MS: '0', TOPUP_PACKAGES: '100:50,550:250' },
      limits: { enabled: false },
    });
    await stack.client.createUser({ id: ADMIN, first_name: 'Admin' });
  });
  after(() => stack?.stop());

  const client = () => stack.client;
  const nextMessage = (userId: number, afterId: number, match: (m: SandboxMessage) => boolean) => nextIn(client(), userId, afterId, match);
  const ledgerSum = async (telegramId: number) => {
    const row = await stack.knex('ledger_entries as e').join('users as u', 'u.id', 'e.user_id').where('u.telegram_id', telegramId).sum({ total: 'e.amount' }).first();
    return Number(row?.total ?? 0);
  };
  const paymentOf = (chargeId: string) => stack.knex('payments').where({ telegram_payment_charge_id: chargeId }).first();
  const invoiceFor = (userId: number) => invoiceOf(client(), userId);

  /** A new user who bought the first package: their charge id, once the coins are credited. */
  async function paidUser() {
    const user = await stack.registered();
    const paid = await client().payInvoice(user.id, (await invoiceFor(user.id)).message_id);
    await waitFor(async () => (await stack.balanceOf(user.id)) === BONUS + 100, 'credited');
    return { user, charge: paid.telegram_payment_charge_id! };
  }

  it('a payment sent while the user is over the inbound rate limit is credited and thanked for', async () => {
    const user = await stack.registered();
    const invoice = await invoiceFor(user.id);
    // Three more messages: the bucket (5) is empty after two, the third is refused with the notice.
    for (const text of ['hello', 'hello again', 'and again']) await client().sendText(user.id, text);
    await nextMessage(user.id, invoice.message_id, (m) => /too fast/.test(m.text ?? ''));
    const paid = await client().payInvoice(user.id, invoice.message_id);
    expect(paid.ok, paid.error_message).to.equal(true);
    const thanks = await nextMessage(user.id, invoice.message_id, (m) => m.text?.startsWith('Thank you!') === true);
    expect(thanks.text).to.contain(`Your balance: ${BONUS + 100} coins.`);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS + 100);
    expect(await paymentOf(paid.telegram_payment_charge_id!)).to.include({ status: 'paid', coins: 100 });
  });

  it('a user banned between the pre-checkout and the payment gets the Stars back; the admins are told; no coins stay', async () => {
    const user = await stack.registered();
    const invoice = await invoiceFor(user.id);
    await stack.workers!.deps.users.setStatus(user.id, 'banned');
    const paid = await client().payInvoice(user.id, invoice.message_id);
    // The pre-checkout is answered from the signed payload alone: the payment goes through.
    expect(paid.ok, paid.error_message).to.equal(true);
    const charge = paid.telegram_payment_charge_id!;
    await waitFor(async () => (await paymentOf(charge))?.status === 'refunded', 'the banned payer refunded', 10_000);
    expect((await client().stats()).calls.refundStarPayment).to.be.greaterThan(0);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS);
    expect(await ledgerSum(user.id)).to.equal(BONUS);
    const audit = await stack.knex('audit_events').where({ action: 'payment.banned_refund', subject: `payment:${charge}` });
    expect(audit).to.have.length(1);
    await nextMessage(ADMIN, 0, (m) => (m.text ?? '').includes(`a banned user (${user.id}) paid; payment ${charge} refunded`));
    // The banned user hears nothing from the bot (Telegram itself shows the refund).
    expect((await client().messages(user.id)).filter((m) => m.text?.startsWith('Thank you!'))).to.have.length(0);
    expect((await stack.user(user.id)).status).to.equal('banned');
  });

  it('a refund Telegram refused once and granted on the retry takes the coins exactly once', async () => {
    const { user, charge } = await paidUser();
    const { payments, telegram } = stack.workers!.deps;
    // First try: Telegram says no (the coins come back); second: Telegram refunds.
    const refused = await payments.refund(charge, async () => {
      throw new TelegramRefusedError('Bad Request: temporarily refused');
    });
    expect(refused.outcome).to.equal('telegram_refused');
    expect(await stack.balanceOf(user.id)).to.equal(BONUS + 100);
    const granted = await payments.refund(charge, async (telegramUserId) => void (await telegram.refundStarPayment(telegramUserId, charge)));
    expect(granted).to.include({ outcome: 'refunded', balance: BONUS });
    expect(await stack.balanceOf(user.id)).to.equal(BONUS);
    expect(await ledgerSum(user.id)).to.equal(BONUS);
    expect(await paymentOf(charge)).to.include({ status: 'refunded', refund_attempts: 2 });
    expect((await payments.refund(charge, async () => undefined)).outcome).to.equal('already_refunded');
  });

  it('a refund stranded in "refunding" (its job died before Telegram answered) is finished by the sweep', async () => {
    const { user, charge } = await paidUser();
    const { payments } = stack.workers!.deps;
    // The coins are taken, then the run dies before Telegram was asked.
    const died = await payments.refund(charge, async () => {
      throw new Error('worker killed');
    }).catch((err: Error) => err);
    expect(died).to.be.instanceOf(Error);
    expect(await paymentOf(charge)).to.include({ status: 'refunding' });
    expect(await stack.balanceOf(user.id)).to.equal(BONUS);
    // Older than HOLD_SWEEP_MINUTES: the next sweep resumes it.
    await stack.knex('payments').where({ telegram_payment_charge_id: charge }).update({ refund_started_at: stack.knex.raw("now() - interval '1 hour'") });
    const job = await stack.workers!.deps.enqueue('billing.sweep', {}, { jobId: `sweep-test-${charge}` });
    await waitFor(async () => (await paymentOf(charge))?.status === 'refunded', 'resumed by the sweep', 10_000);
    await waitFor(async () => (await stack.workers!.deps.queues.get('billing').getJob(job.id!))?.finishedOn != null, 'sweep finished');
    const done = await stack.workers!.deps.queues.get('billing').getJob(job.id!);
    expect(done!.returnvalue.refundsResumed).to.deep.equal({ [charge]: 'refunded' });
    expect(await stack.balanceOf(user.id)).to.equal(BONUS);
    expect(await ledgerSum(user.id)).to.equal(BONUS);
    expect(await stack.knex('audit_events').where({ action: 'refund.resumed', subject: `payment:${charge}` })).to.have.length(1);
  });

  it('a 403 for a banned user leaves the ban in place, and writing again does not lift it', async () => {
    const user = await stack.registered();
    await stack.workers!.deps.users.setStatus(user.id, 'banned');
    await client().blockBot(user.id);
    const job = await stack.workers!.deps.enqueue('message.send', { chatId: user.id, lang: 'en', text: 'a notice' }, { jobId: `notice-banned-${user.id}` });
    await waitFor(async () => (await stack.workers!.deps.queues.get('notifications').getJob(job.id!))?.finishedOn != null, 'send finished');
    expect((await stack.user(user.id)).status).to.equal('banned');
    await client().blockBot(user.id, false);
    await client().sendText(user.id, '/balance');
    await waitFor(async () => {
      const jobs = await stack.workers!.deps.queues.get('interactive').getJobs(['completed']);
      return jobs.some((j) => j.name === 'balance.show' && j.data.actor.telegramId === user.id);
    }, 'the banned user\'s command handled');
    expect((await stack.user(user.id)).status).to.equal('banned');
    // And an active user who blocked the bot is marked so.
    const other = await stack.registered();
    await client().blockBot(other.id);
    await stack.workers!.deps.enqueue('message.send', { chatId: other.id, lang: 'en', text: 'a notice' }, { jobId: `notice-blocked-${other.id}` });
    await waitFor(async () => (await stack.user(other.id)).status === 'blocked_bot', 'marked blocked');
  });

  it('a button press is queued even when Telegram refuses its answer as "query is too old"', async () => {
    const user = await stack.registered();
    const last = (await client().messages(user.id)).at(-1)?.message_id ?? 0;
    await client().sendText(user.id, '/topup');
    const offer = await nextMessage(user.id, last, (m) => buttons(m).includes('topup:0'));
    await client().injectFault({ code: 400, methods: ['answerCallbackQuery'], times: 1, description: 'query is too old and response timeout expired or query ID is invalid' });
    await client().pressButton(user.id, offer.message_id, 'topup:0');
    const invoice = await nextMessage(user.id, offer.message_id, (m) => !!m.invoice);
    expect(invoice.invoice).to.include({ total_amount: 50 });
    expect(await client().clearFaults()).to.be.greaterThan(0);
  });
});
