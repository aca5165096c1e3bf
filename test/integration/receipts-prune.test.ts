import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ReceiptsRepository } from '../../src/repositories/receipts.repository';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const DAY = 86_400_000;

/** Send receipts are kept RECEIPTS_KEEP_DAYS: the table holds about a month of messages, not every message ever. */
describe('send receipts retention (receipts.prune)', () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({ bot: false, env: { RECEIPTS_KEEP_DAYS: '30' } });
  });
  after(() => stack?.stop());

  const receipt = (key: string, part: number, ageDays: number) => ({
    notification_key: key, part, chat_id: 1, telegram_message_id: part + 1, sent_at: new Date(Date.now() - ageDays * DAY),
  });
  const left = (tag: string) => stack.knex('message_receipts').where('notification_key', 'like', `${tag}/%`).orderBy(['notification_key', 'part']).select('notification_key', 'part');

  it('the daily job deletes receipts past RECEIPTS_KEEP_DAYS and keeps the rest; its schedule shows in Bull Board', async () => {
    const tag = `prune-${randomBytes(4).toString('hex')}`;
    await stack.knex('message_receipts').insert([receipt(`${tag}/old`, 0, 31), receipt(`${tag}/old`, 1, 400), receipt(`${tag}/recent`, 0, 29)]);
    const queue = stack.workers!.deps.queues.get('notifications');
    const job = await queue.add('receipts.prune', {});
    await waitFor(async () => (await job.getState()) === 'completed', 'prune done');
    expect(await left(tag)).to.deep.equal([{ notification_key: `${tag}/recent`, part: 0 }]);
    expect((await queue.getJob(job.id!))!.returnvalue.deleted).to.be.at.least(2);
    const scheduler = (await queue.getJobSchedulers()).find((s) => s.key === 'receipts.prune');
    expect(scheduler, 'upserted by the notifications worker at start').to.include({ pattern: '30 4 * * *', tz: 'UTC' });
    // Scheduled runs retry as the catalogue says (3 tries, a minute apart), not with the queue's defaults.
    expect(scheduler!.template?.opts).to.deep.include({ attempts: 3, backoff: { type: 'exponential', delay: 60_000 } });
  });

  it('deletes in batches until none is left', async () => {
    const tag = `prune-${randomBytes(4).toString('hex')}`;
    await stack.knex('message_receipts').insert([0, 1, 2, 3, 4].map((part) => receipt(`${tag}/old`, part, 60)));
    const deleted = await new ReceiptsRepository(stack.knex).prune(new Date(Date.now() - 30 * DAY), 2);
    expect(deleted).to.be.at.least(5);
    expect(await left(tag)).to.deep.equal([]);
  });
});
