import { expect } from 'chai';
import sharp from 'sharp';
import type { QueueName } from '../../src/config';
import { startWorkerProcess } from '../../workers/worker-process';
import { effect, outboxRows } from '../../src/jobs/outbox';
import type { SandboxMessage } from '../../src/sandbox/sandbox.types';
import { workerDefinitions } from '../../workers';
import { chooseStyle, invoiceFor, nextMessage as nextIn } from '../support/chat';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const BONUS = 40;
const PRICE = 20;

/**
 * The transactional outbox (docs/RELIABILITY.md): what must follow a commit — the thanks after a credit, the result
 * after a capture — is written with the commit and relayed; a row whose job vanished from Redis is relayed again, a
 * row a dead process never relayed is relayed by the sweep, and a capture cannot commit without its delivery.
 */
describe('the outbox: effects that follow a commit survive a lost job and a dead relay', function () {
  this.timeout(60_000);
  let stack: Stack;
  const env = {
    OUTBOX_RELAY_SECONDS: '1', OUTBOX_CONFIRM_SECONDS: '5', WELCOME_BONUS: String(BONUS), PRICE_AVATAR: String(PRICE), TOPUP_PACKAGES: '100:50',
  };

  beforeEach(async () => {
    stack = await Stack.start({ env, limits: { enabled: false } });
  });
  afterEach(() => stack?.stop());

  const client = () => stack.client;
  const nextMessage = (userId: number, afterId: number, match: (m: SandboxMessage) => boolean, ms?: number) => nextIn(client(), userId, afterId, match, ms);
  const outboxOf = (source: string) => stack.knex('outbox').where({ source }).orderBy('id');
  async function restartWorkers(queues: QueueName[]) {
    await stack.workers!.close();
    stack.workers = await startWorkerProcess({ ...stack.config, WORKER_QUEUES: queues }, workerDefinitions, stack.log);
  }

  it('a thank-you lost from Redis after the credit is relayed again and arrives once', async () => {
    const user = await stack.registered();
    const invoice = await invoiceFor(client(), user.id);
    // Nobody sends messages for a while: the thanks waits in the notifications queue…
    await restartWorkers(['interactive', 'billing']);
    const paid = await client().payInvoice(user.id, invoice.message_id);
    const charge = paid.telegram_payment_charge_id!;
    const jobId = `topup-thanks-${charge}`.replace(/:/g, '.');
    const notifications = stack.workers!.deps.queues.get('notifications');
    await waitFor(async () => (await notifications.getJob(jobId)) !== undefined, 'thanks queued', 10_000);
    // …and is lost, as a Redis failover or flush would lose it. The credit and its outbox row are in Postgres.
    await (await notifications.getJob(jobId))!.remove();
    const [row] = await outboxOf(`payment:${charge}`);
    expect(row).to.include({ name: 'message.send', job_id: jobId, relays: 1, done_at: null });
    await restartWorkers(['interactive', 'billing', 'notifications']);
    const thanks = await nextMessage(user.id, invoice.message_id, (m) => m.text?.startsWith('Thank you!') === true, 20_000);
    expect(thanks.text).to.contain(`Your balance: ${BONUS + 100} coins.`);
    await waitFor(async () => (await outboxOf(`payment:${charge}`))[0]?.outcome === 'completed', 'row closed', 10_000);
    const [closed] = await outboxOf(`payment:${charge}`);
    expect(closed.relays).to.equal(2);
    // Exactly one thank-you, and the coins once.
    await new Promise((r) => setTimeout(r, 1_500));
    const all = (await client().messages(user.id)).filter((m) => m.text?.startsWith('Thank you!'));
    expect(all).to.have.length(1);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS + 100);
  });

  it('a row committed by a run that died before relaying it is relayed by the sweep', async () => {
    const user = await stack.registered();
    const before = (await client().messages(user.id)).length;
    // What a run leaves when its process dies between the commit and the relay: the row, never queued.
    const rows = outboxRows([effect('message.send', { chatId: user.id, lang: 'en', text: 'your result, committed' }, 'test-unrelayed-1')]);
    await stack.workers!.deps.outbox.add(stack.knex, rows, 'test:unrelayed');
    await waitFor(async () => (await client().messages(user.id)).some((m) => m.text === 'your result, committed'), 'the committed message delivered', 15_000);
    await waitFor(async () => (await outboxOf('test:unrelayed'))[0]?.outcome === 'completed', 'row closed', 10_000);
    expect((await outboxOf('test:unrelayed'))[0]).to.include({ relays: 1 });
    expect((await client().messages(user.id)).length).to.equal(before + 1);
  });

  it('a capture cannot commit without its delivery: the outbox refusing for 4 s leaves the hold open, then both commit', async () => {
    const user = await stack.registered();
    // The outbox insert fails like a database that is starting up (57P03): an outage, waited out without attempts.
    await stack.knex.raw(`CREATE OR REPLACE FUNCTION outbox_refuse() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'outbox unavailable' USING ERRCODE = '57P03'; END $$ LANGUAGE plpgsql`);
    await stack.knex.raw('CREATE TRIGGER outbox_refuse BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_refuse()');
    try {
      const photo = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#3366cc' } }).jpeg().toBuffer();
      const { messageId } = await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, photo, { width: 300, height: 300 }));
      const key = `avatar:${user.id}:${messageId}:square`;
      await waitFor(async () => (await stack.knex('holds').where({ key })).length === 1, 'coins held', 10_000);
      await new Promise((r) => setTimeout(r, 4_000));
      // The set is made, but the capture's statement (with its outbox rows) was refused whole: still held, nothing sent.
      expect((await stack.knex('holds').where({ key }).first()).status).to.equal('held');
      expect(await stack.knex('ledger_entries').where({ idempotency_key: `capture:${key}` })).to.have.length(0);
      expect((await client().messages(user.id)).filter((m) => m.photo)).to.have.length(0);
    } finally {
      await stack.knex.raw('DROP TRIGGER IF EXISTS outbox_refuse ON outbox');
    }
    await waitFor(async () => (await client().messages(user.id)).some((m) => !!m.document), 'the avatar file delivered', 30_000);
    const holds = await stack.knex('holds').where({ user_id: (await stack.user(user.id)).id });
    expect(holds.map((h) => h.status)).to.deep.equal(['captured']);
    const rows = await outboxOf(`hold:${holds[0].key}`);
    expect(rows.map((r) => r.job_id).sort()).to.have.length(2);
    await waitFor(async () => (await outboxOf(`hold:${holds[0].key}`)).every((r) => r.outcome === 'completed'), 'rows closed', 10_000);
    expect((await client().messages(user.id)).filter((m) => m.photo)).to.have.length(1);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PRICE);
  });
});

describe('job schedules Redis lost (flushed, or an older file restored)', function () {
  this.timeout(30_000);
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({ bot: false, env: { SCHEDULES_CHECK_SECONDS: '1', OUTBOX_RELAY_SECONDS: '1' } });
  });
  after(() => stack?.stop());

  it('are put back by the worker processes: the outbox relay, the sweep and reconciliation run again without a restart', async () => {
    const billing = stack.workers!.deps.queues.get('billing');
    const names = ['outbox.relay', 'billing.sweep', 'payments.reconcile', 'retention.prune'];
    for (const name of names) expect(await billing.getJobScheduler(name), name).to.not.equal(undefined);
    // What a FLUSHALL does to them (the shared Redis is not flushed: only this run's schedulers go).
    for (const name of names) await billing.removeJobScheduler(name);
    expect(await billing.getJobSchedulersCount()).to.equal(0);
    await waitFor(async () => (await billing.getJobSchedulersCount()) === names.length, 'the schedules to be back', 10_000);
    // Restored means running: the relay ticks again (a scheduler counts the runs it made).
    await waitFor(async () => ((await billing.getJobScheduler('outbox.relay'))?.iterationCount ?? 0) >= 2, 'the restored outbox relay to run', 10_000);
  });
});
