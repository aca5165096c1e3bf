import type { Job } from 'bullmq';
import { expect } from 'chai';
import { Stack } from '../support/stack';
import { sleep, waitFor } from '../support/wait';

/**
 * Order across updates (docs/DELIVERY.md): the reply to an update keeps the update's place in its chat's line,
 * whichever job finishes first. The interactive queue is paused so the test decides which job runs first. A missing
 * message is passed over after CHAT_STALL_MS (1 s here); a reserved reply whose job is still queued is waited for
 * CHAT_REPLY_WAIT_MS, far past the test.
 */
describe('replies in the order the user sent the commands', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({ env: { CHAT_STALL_MS: '1000', CHAT_REPLY_WAIT_MS: '600000', CHAT_BURST: '10' } });
  });
  after(() => stack?.stop());

  const interactive = () => stack.workers!.deps.queues.get('interactive');
  const texts = async (chatId: number) => (await stack.client.messages(chatId)).map((m) => m.text ?? '');
  /** The jobs the bot queued for this user's updates, by name, once `count` of them are there. */
  async function queued(chatId: number, count: number): Promise<Map<string, Job>> {
    let jobs: Job[] = [];
    await waitFor(async () => {
      jobs = (await interactive().getJobs(['waiting', 'prioritized'])).filter((j) => j.data?.actor?.chatId === chatId);
      return jobs.length >= count;
    }, 'the commands\' jobs queued');
    return new Map(jobs.map((j) => [j.name, j]));
  }

  it('/balance then /topup: the /topup job finishing first still answers second', async () => {
    const user = await stack.registered();
    await interactive().pause();
    try {
      await stack.client.sendText(user.id, '/balance');
      await stack.client.sendText(user.id, '/topup');
      const jobs = await queued(user.id, 2);
      const first = jobs.get('balance.show')!;
      // Hold the /balance job back: it runs only once the /topup job is done and its reply is queued.
      await first.remove();
      await interactive().resume();
      const topup = await interactive().getJob(jobs.get('topup.offer')!.id!);
      await waitFor(async () => (await topup?.getState()) === 'completed', '/topup handled');
      const reply = await stack.workers!.deps.queues.get('notifications').getJob(`reply-${topup!.data.updateId}`);
      await waitFor(async () => (await reply?.getState()) === 'delayed', 'the /topup reply waiting for its turn');
      // Longer than a missing message is waited for: the reserved reply's job is still queued, so the line waits on.
      await sleep(2_500);
      expect(await texts(user.id), 'nothing overtook the /balance reply').to.have.length(1);
      await interactive().add(first.name, first.data, { jobId: first.id });
      await stack.client.waitForMessages(user.id, 3, 20_000);
      const got = await texts(user.id);
      expect(got[1]).to.match(/^Your balance: \d+ coins\.$/);
      expect(got[2]).to.match(/^Choose a package/);
    } finally {
      await interactive().resume();
    }
  });

  it('a command answered by nothing (a banned user\'s) gives its place up: the next message is not held back', async () => {
    const user = await stack.registered();
    await stack.knex('users').where({ telegram_id: user.id }).update({ status: 'banned' });
    await stack.client.sendText(user.id, '/balance');
    await waitFor(
      async () => (await interactive().getJobs(['completed'])).some((j) => j.name === 'balance.show' && j.data?.actor?.chatId === user.id),
      'the banned user\'s /balance skipped',
    );
    await stack.workers!.deps.enqueue('message.send', { chatId: user.id, text: 'a message from the admins' });
    await stack.client.waitForMessages(user.id, 2, 20_000);
    const got = await texts(user.id);
    expect(got[0]).to.match(/^Welcome to Switchyard/);
    expect(got.slice(1)).to.deep.equal(['a message from the admins']);
  });

  it('a command whose job fails for good (a payload its schema refuses) gives its place up too', async () => {
    const user = await stack.registered();
    const { enqueue, pacer } = stack.workers!.deps;
    // Its place reserved as the bot reserves it, then a job no worker can run (added by hand, no telegramId).
    await pacer.reserve(user.id, 900_021);
    const bad = await interactive().add('balance.show', { actor: { chatId: user.id }, updateId: 900_021 });
    await waitFor(async () => (await bad.getState()) === 'failed', 'the bad job failed for good');
    await enqueue('message.send', { chatId: user.id, text: 'the next message' });
    await stack.client.waitForMessages(user.id, 2, 20_000);
    expect((await texts(user.id)).slice(1)).to.deep.equal(['the next message']);
  });

  it('a reply queued but not yet taken by a worker (a notifications backlog) is not passed over', async () => {
    const user = await stack.registered();
    const { enqueue, pacer } = stack.workers!.deps;
    // Two updates' replies reserved in the order the updates came, as the bot does when it queues their jobs.
    await pacer.reserve(user.id, 900_001);
    await pacer.reserve(user.id, 900_002);
    // The first reply is queued but reaches a worker only later (longer than CHAT_STALL_MS); the second at once.
    await enqueue('message.send', { chatId: user.id, updateId: 900_001, text: 'first' }, { jobId: `late-${user.id}`, delay: 2_500 });
    await enqueue('message.send', { chatId: user.id, updateId: 900_002, text: 'second' });
    await stack.client.waitForMessages(user.id, 3, 20_000);
    expect((await texts(user.id)).slice(1)).to.deep.equal(['first', 'second']);
  });

  it('a reply whose job was lost from Redis holds the line only CHAT_STALL_MS, not CHAT_REPLY_WAIT_MS', async () => {
    const user = await stack.registered();
    const { enqueue, pacer } = stack.workers!.deps;
    await pacer.reserve(user.id, 900_011);
    await pacer.reserve(user.id, 900_012);
    const lost = await enqueue('message.send', { chatId: user.id, updateId: 900_011, text: 'never sent' }, { jobId: `lost-${user.id}`, delay: 600_000 });
    await lost.remove();
    await enqueue('message.send', { chatId: user.id, updateId: 900_012, text: 'after the lost one' });
    await stack.client.waitForMessages(user.id, 2, 20_000);
    expect((await texts(user.id)).slice(1)).to.deep.equal(['after the lost one']);
  });

  it('a redelivered update keeps its number; a reply queued again takes a new one', async () => {
    const pacer = stack.workers!.deps.pacer;
    const chatId = 7_000_000 + Math.floor(Math.random() * 1_000_000);
    const a = await pacer.reserve(chatId, 1);
    expect(await pacer.reserve(chatId, 1), 'the same update again').to.equal(a);
    const b = await pacer.reserve(chatId, 2);
    expect(b).to.equal(a + 1);
    expect(await pacer.sequence(chatId, 2), 'the reply to update 2 takes its reserved number').to.equal(b);
    expect(await pacer.sequence(chatId, 2), 'a second message for update 2 takes a new one').to.equal(b + 1);
    expect(await pacer.reserve(chatId, 2), 'a reservation once taken is not handed out again').to.equal(0);
    expect(await pacer.release(chatId, 1), 'nothing waits for the turn after update 1').to.equal(null);
    expect(await pacer.isTurn(chatId, b), 'update 1 gave its place up: update 2\'s reply is next').to.equal(true);
  });

  it('a job that ends before the bot\'s reservation lands (sent alongside the add) leaves no number holding the line', async () => {
    const pacer = stack.workers!.deps.pacer;
    const chatId = 8_000_000 + Math.floor(Math.random() * 1_000_000);
    // Update 1's job sent its reply, update 2's job sent nothing, both before their reservations arrived.
    const sent = await pacer.sequence(chatId, 1, `reply-${chatId}-1`);
    await pacer.advance(chatId, sent);
    expect(await pacer.release(chatId, 2)).to.equal(null);
    expect(await pacer.reserve(chatId, 1), 'a reservation after its reply was sent').to.equal(0);
    expect(await pacer.reserve(chatId, 2), 'a reservation after its job was done').to.equal(0);
    // The chat's next message goes at once, not after CHAT_REPLY_WAIT_MS (10 minutes here).
    const next = await pacer.sequence(chatId);
    expect(await pacer.claim(chatId, next, `next-${chatId}`)).to.deep.equal({ go: true });
  });
});
