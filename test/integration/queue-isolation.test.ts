import { expect } from 'chai';
import { invoiceFor, lastMessageId, nextMessage } from '../support/chat';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/**
 * Queues by kind of work (docs/JOBS.md): the quick replies run on `interactive`, apart from `billing`'s payments,
 * sweeps and reconciliation. The billing queue is paused behind a backlog it has not touched, as a burst of paid work
 * would hold it: on one shared queue nothing below would be answered until the backlog drained.
 */
describe('a backlog of billing work does not hold the interactive replies back', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(async () => {
    stack = await Stack.start();
  });
  after(() => stack?.stop());

  it('/start, /help, /balance and a pre-checkout are answered while every billing job still waits; the backlog drains after', async () => {
    const user = await stack.registered();
    const invoice = await invoiceFor(stack.client, user.id);
    const billing = stack.workers!.deps.queues.get('billing');
    const BACKLOG = 100;
    await billing.pause();
    let paidCharge: string;
    try {
      await billing.addBulk(Array.from({ length: BACKLOG }, (_, i) => ({ name: 'billing.sweep', data: {}, opts: { jobId: `burst-${user.id}-${i}` } })));

      const newcomer = await stack.client.createUser();
      await stack.client.sendText(newcomer.id, '/start');
      let last = await lastMessageId(stack.client, user.id);
      await stack.client.sendText(user.id, '/help');
      const help = await nextMessage(stack.client, user.id, last, (m) => m.text?.startsWith('What I can do:') === true);
      await stack.client.sendText(user.id, '/balance');
      const balance = await nextMessage(stack.client, user.id, help.message_id, (m) => /^Your balance: \d+ coins\.$/.test(m.text ?? ''));
      await nextMessage(stack.client, newcomer.id, 0, (m) => /^Welcome/.test(m.text ?? ''));
      // The pre-checkout is answered (within Telegram's 10 s): the Stars are taken while billing is still held.
      const paid = await stack.client.payInvoice(user.id, invoice.message_id, { timeoutMs: 10_000 });
      expect(paid.ok, paid.error_message).to.equal(true);
      paidCharge = paid.telegram_payment_charge_id!;
      last = balance.message_id;

      // All of that while not one billing job ran: the backlog, and now the payment's credit, wait their turn.
      const charge = paidCharge;
      await waitFor(async () => (await billing.getJobs(['waiting'])).some((j) => j.name === 'payment.completed' && j.data.chargeId === charge), 'the credit queued');
      const waiting = await billing.getJobs(['waiting']);
      expect(waiting.filter((j) => j.id?.startsWith(`burst-${user.id}-`))).to.have.length(BACKLOG);
      expect(await billing.getActiveCount()).to.equal(0);
    } finally {
      await billing.resume();
    }
    // Billing resumed: the credit runs, and the thank-you follows.
    const thanks = await nextMessage(stack.client, user.id, invoice.message_id, (m) => m.text?.startsWith('Thank you!') === true, 30_000);
    expect(thanks.text).to.contain(paidCharge);
  });
});
