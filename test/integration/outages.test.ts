import { expect } from 'chai';
import type { Job } from 'bullmq';
import { buttons, nextMessage } from '../support/chat';
import { OwnPostgres } from '../support/own-postgres';
import { migratedDatabase } from '../support/scratch-db';
import { Stack } from '../support/stack';
import { sleep, waitFor } from '../support/wait';

/**
 * Outages are waited out, not failed (docs/RELIABILITY.md): Postgres stopped under the platform (a cluster of this
 * test's own) or Telegram answering 5xx. Every action sent meanwhile is answered once the dependency is back, no
 * job spends an attempt on the outage, and a payment's pre-checkout is answered while Postgres is away.
 */
describe('outages: Postgres away, Telegram 5xx', function () {
  this.timeout(90_000);
  let pg: OwnPostgres | undefined;
  let stack: Stack | undefined;
  before(async () => {
    pg = await OwnPostgres.start();
    const url = pg.url('switchyard');
    await migratedDatabase(url);
    stack = await Stack.start({ env: { DATABASE_URL: url, RATE_LIMIT_BURST: '1000', TOPUP_PACKAGES: '100:50', TELEGRAM_TIMEOUT_SECONDS: '1' }, limits: { enabled: false } });
  });
  after(async () => {
    // Back up first, so the stack's pools close cleanly; then the cluster goes.
    try {
      pg?.resume();
    } catch {
      // Running already.
    }
    await stack?.stop();
    pg?.destroy();
  });

  const jobsOf = async (queue: 'interactive' | 'billing' | 'notifications', telegramId: number): Promise<Job[]> =>
    (await stack!.workers!.deps.queues.get(queue).getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'])).filter(
      (j) => j.data.actor?.telegramId === telegramId || j.data.chatId === telegramId,
    );

  it('Postgres stopped for longer than the jobs\' retries: every action is answered after it is back, no attempt spent', async () => {
    const s = stack!;
    const known = await s.registered();
    // An invoice to pay during the outage.
    await s.client.sendText(known.id, '/topup');
    const offer = await nextMessage(s.client, known.id, 0, (m) => buttons(m).includes('topup:0'));
    await s.client.pressButton(known.id, offer.message_id, 'topup:0');
    const invoice = await nextMessage(s.client, known.id, offer.message_id, (m) => !!m.invoice);
    const newcomer = await s.client.createUser();

    pg!.stop();
    await s.client.sendText(known.id, '/balance');
    await s.client.sendText(newcomer.id, '/start');
    // The pre-checkout needs no Postgres: Telegram gets its answer within its 10 s, the Stars are taken.
    const paid = await s.client.payInvoice(known.id, invoice.message_id, { timeoutMs: 10_000 });
    expect(paid.ok, paid.error_message).to.equal(true);
    // Longer than /start's and /balance's five attempts would last with backoff (1 + 2 + 4 + 8 s).
    await sleep(16_000);
    expect((await s.client.messages(newcomer.id))).to.have.length(0);
    pg!.resume();

    await nextMessage(s.client, newcomer.id, 0, (m) => /^Welcome/.test(m.text ?? ''), 30_000);
    await nextMessage(s.client, known.id, invoice.message_id, (m) => /balance/i.test(m.text ?? '') && !m.text!.startsWith('Thank'), 30_000);
    const thanks = await nextMessage(s.client, known.id, invoice.message_id, (m) => m.text?.startsWith('Thank you!') === true, 30_000);
    expect(thanks.text).to.contain('100 coins were added');
    expect(await s.balanceOf(known.id)).to.equal(200);
    // Waited, not failed: each job's one attempt is the one that succeeded (BullMQ counts it); the outage spent none.
    const jobs = [...(await jobsOf('interactive', known.id)), ...(await jobsOf('interactive', newcomer.id)), ...(await jobsOf('billing', known.id))];
    await waitFor(async () => (await Promise.all(jobs.map((j) => j.isCompleted()))).every(Boolean), 'jobs completed', 10_000);
    const waited = await Promise.all(jobs.map(async (j) => (await s.workers!.deps.queues.get(j.queueName as 'interactive' | 'billing').getJob(j.id!))!));
    expect(waited.map((j) => [j.name, j.attemptsMade])).to.deep.include.members([['account.register', 1], ['balance.show', 1], ['payment.completed', 1]]);
    expect(waited.every((j) => j.attemptsMade === 1), JSON.stringify(waited.map((j) => [j.name, j.attemptsMade]))).to.equal(true);
    expect(waited.filter((j) => j.data._outage).length).to.be.greaterThan(1);
  });

  it('a receipt Postgres refuses to store after Telegram accepted the message: kept trying, the message is not sent twice', async () => {
    const s = stack!;
    const user = await s.registered();
    // A real Postgres error at the receipt's insert, for this chat only, until the test lifts it.
    await s.knex.raw(`CREATE TABLE IF NOT EXISTS failing_receipts (chat_id bigint PRIMARY KEY)`);
    await s.knex.raw(`CREATE OR REPLACE FUNCTION fail_receipt() RETURNS trigger AS $$
      BEGIN IF EXISTS (SELECT 1 FROM failing_receipts WHERE chat_id = NEW.chat_id) THEN RAISE EXCEPTION 'receipts are failing'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await s.knex.raw(`CREATE OR REPLACE TRIGGER fail_receipt BEFORE INSERT ON message_receipts FOR EACH ROW EXECUTE FUNCTION fail_receipt()`);
    await s.knex('failing_receipts').insert({ chat_id: user.id });
    await s.client.sendText(user.id, '/help');
    await s.client.waitForMessages(user.id, 2);
    // Longer than the send's first retries would wait (1 s, 2 s): a retry would have sent it again by now.
    await sleep(4_000);
    await s.knex('failing_receipts').where({ chat_id: user.id }).delete();
    await waitFor(async () => (await s.knex('message_receipts').where({ chat_id: user.id })).length === 2, 'both receipts stored', 15_000);
    await sleep(500);
    expect((await s.client.messages(user.id)).map((m) => m.text!.split('\n')[0])).to.have.length(2);
    const sends = await jobsOf('notifications', user.id);
    expect(sends.map((j) => j.attemptsMade)).to.deep.equal([1, 1]);
  });

  it('Telegram answering 5xx for a while: the replies arrive once it is back, each once, no attempt spent on it', async () => {
    const s = stack!;
    const user = await s.registered();
    await s.client.injectFault({ code: 502, methods: ['sendMessage'], forMs: 6_000 });
    for (const command of ['/balance', '/prices', '/help']) await s.client.sendText(user.id, command);
    await sleep(6_500);
    await s.client.waitForMessages(user.id, 4, 30_000);
    await sleep(500);
    expect(await s.client.messages(user.id)).to.have.length(4);
    expect((await s.client.stats()).serverErrors).to.be.greaterThan(0);
    const sends = await jobsOf('notifications', user.id);
    expect(sends.every((j) => j.attemptsMade === 1), JSON.stringify(sends.map((j) => [j.name, j.attemptsMade]))).to.equal(true);
  });

  it('Telegram not answering (timeouts) for a while: each call is given up after TELEGRAM_TIMEOUT_SECONDS and waited out; the replies arrive once', async () => {
    const s = stack!;
    const user = await s.registered();
    // Each of the next 4 sends is held 30 s and not carried out: only our own 1 s timeout ends them.
    await s.client.injectFault({ code: 504, methods: ['sendMessage'], times: 4, hangMs: 30_000 });
    for (const command of ['/balance', '/prices']) await s.client.sendText(user.id, command);
    await s.client.waitForMessages(user.id, 3, 25_000);
    await sleep(500);
    // The welcome, then each reply once.
    expect(await s.client.messages(user.id)).to.have.length(3);
    const sends = await jobsOf('notifications', user.id);
    expect(sends.every((j) => j.attemptsMade === 1), JSON.stringify(sends.map((j) => [j.name, j.attemptsMade]))).to.equal(true);
    expect(sends.some((j) => (j.data as { _outage?: unknown })._outage !== undefined), 'waited out as an outage').to.equal(true);
  });
});
