import { DelayedError, Worker } from 'bullmq';
import { queuePrefix } from '../../src/lib/redis';
import { expect } from 'chai';
import { notificationHandlers } from '../../src/domain/notifications/message.handlers';
import { parsePayload } from '../../src/jobs/enqueue';
import { jobKey } from '../../src/jobs/job-key';
import { startWorkerProcess, type WorkerProcess } from '../../workers/worker-process';
import { workerDefinitions } from '../../workers';
import { Stack } from '../support/stack';
import { sleep } from '../support/wait';

async function sendAll(stack: Stack, messages: { chatId: number; text: string }[]): Promise<void> {
  // In order, as producers would: each chat's messages must arrive in this order.
  for (const m of messages) await stack.workers!.deps.enqueue('message.send', m);
}

/** Delivery under Telegram's limits, through the sandbox that enforces them. */
describe('Telegram-grade delivery', function () {
  this.timeout(60_000);

  describe('at our default pace', () => {
    let stack: Stack;
    before(async () => {
      stack = await Stack.start({ bot: false });
    });
    after(() => stack?.stop());

    it('300 messages to 60 chats: no 429 from Telegram, every chat gets its messages in order', async () => {
      const users = await Promise.all(Array.from({ length: 60 }, () => stack.client.createUser()));
      const before = (await stack.client.stats()).tooManyRequests;
      const messages = [];
      for (let n = 1; n <= 5; n++) for (const u of users) messages.push({ chatId: u.id, text: `message ${n}` });
      await sendAll(stack, messages);
      for (const u of users) {
        const got = await stack.client.waitForMessages(u.id, 5, 30_000);
        expect(got.map((m) => m.text), `chat ${u.id}`).to.deep.equal(['message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
      }
      expect((await stack.client.stats()).tooManyRequests - before).to.equal(0);
    });
  });

  describe('a message queued twice under its job id (a retried producer)', () => {
    let stack: Stack;
    before(async () => {
      // A chat waiting for a number that never comes would move on only after this long: far past the test.
      stack = await Stack.start({ bot: false, env: { CHAT_STALL_MS: '600000', CHAT_BURST: '10' } });
    });
    after(() => stack?.stop());

    it('is sent once, and the chat does not wait for the number the duplicate took', async () => {
      const user = await stack.client.createUser();
      const enqueue = stack.workers!.deps.enqueue;
      await enqueue('message.send', { chatId: user.id, text: 'first' }, { jobId: 'reply-dup-1' });
      await enqueue('message.send', { chatId: user.id, text: 'first, again' }, { jobId: 'reply-dup-1' });
      await enqueue('message.edit', { chatId: user.id, messageJobId: 'reply-dup-1', text: 'first, edited' }, { jobId: 'edit-dup-1' });
      await enqueue('message.edit', { chatId: user.id, messageJobId: 'reply-dup-1', text: 'first, edited again' }, { jobId: 'edit-dup-1' });
      await enqueue('message.send', { chatId: user.id, text: 'second' });
      const got = await stack.client.waitForMessages(user.id, 2, 10_000);
      expect(got.map((m) => m.text)).to.deep.equal(['first, edited', 'second']);
    });
  });

  describe('when Telegram answers 429 for one chat', () => {
    let stack: Stack;
    before(async () => {
      // We pace ourselves faster than the sandbox allows one chat (burst 3, 1/s), so only the chat that gets many
      // messages at once meets Telegram's 429; the others stay within the sandbox's limits.
      stack = await Stack.start({ bot: false, env: { CHAT_RATE_PER_SECOND: '50', CHAT_BURST: '50' } });
    });
    after(() => stack?.stop());

    it('that chat waits retry_after and still gets everything in order; other chats are not held up', async () => {
      const busy = await stack.client.createUser();
      const others = await Promise.all(Array.from({ length: 5 }, () => stack.client.createUser()));
      const before = (await stack.client.stats()).tooManyRequests;
      const texts = Array.from({ length: 8 }, (_, i) => `update ${i + 1}`);
      await sendAll(stack, texts.map((text) => ({ chatId: busy.id, text })));
      await sendAll(stack, others.map((u) => ({ chatId: u.id, text: 'hello' })));
      const othersDoneAt = Math.max(...(await Promise.all(others.map(async (u) => (await stack.client.waitForMessages(u.id, 1))[0]!.at))));
      const got = await stack.client.waitForMessages(busy.id, 8, 30_000);
      expect(got.map((m) => m.text)).to.deep.equal(texts);
      expect((await stack.client.stats()).tooManyRequests - before, 'the sandbox did refuse the busy chat').to.be.at.least(1);
      // The busy chat's last message needed the 429 pauses; the other chats were served before it.
      expect(othersDoneAt).to.be.below(got.at(-1)!.at);
    });
  });

  describe('a worker whose job stalled and was handed to another worker', () => {
    let stack: Stack;
    let producer: WorkerProcess;
    let taker: Worker;
    before(async () => {
      stack = await Stack.start({ bot: false, workers: false });
      // The workers' dependencies, with no queue worked: this test takes the job itself, as a worker would.
      producer = await startWorkerProcess({ ...stack.config, WORKER_QUEUES: [] }, workerDefinitions, stack.log);
      taker = new Worker('notifications', null, { connection: stack.redis, prefix: queuePrefix(stack.redis, stack.config.QUEUE_PREFIX, 'notifications') });
    });
    after(async () => {
      await taker?.close();
      await producer?.close();
      await stack?.stop();
    });

    it('sends nothing from the stalled run (its lock is another worker\'s now); the lock holder sends it once', async () => {
      const user = await stack.client.createUser();
      await producer.deps.enqueue('message.send', { chatId: user.id, text: 'your avatar is ready' }, { jobId: 'reply-stall-1' });
      const job = (await taker.getNextJob('stalled-run'))!;
      expect(job.id).to.equal('reply-stall-1');
      const send = notificationHandlers(producer.deps)['message.send'];
      const run = (token: string) => send(parsePayload('message.send', job.data) as Parameters<typeof send>[0], { job, token, log: stack.log });
      // What BullMQ does when a worker's event loop was too busy to renew the lock: the stalled job goes back to the
      // queue and the next worker takes it under its own token.
      await stack.redis.set(`${job.queueQualifiedName}:${job.id}:lock`, 'next-worker', 'PX', 30_000);
      const stalled = await run('stalled-run').then(() => 'sent', (err: unknown) => err);
      expect(stalled).to.be.instanceOf(DelayedError);
      await sleep(300);
      expect(await stack.client.messages(user.id)).to.have.length(0);
      await run('next-worker');
      expect((await stack.client.messages(user.id)).map((m) => m.text)).to.deep.equal(['your avatar is ready']);
    });

    it('a run that took the job over while the first run\'s send was still with Telegram waits for it: one copy, not two', async () => {
      const user = await stack.client.createUser();
      await producer.deps.enqueue('message.send', { chatId: user.id, text: 'Thank you!' }, { jobId: 'reply-stall-2' });
      const job = (await taker.getNextJob('first-run'))!;
      const lockKey = `${job.queueQualifiedName}:${job.id}:lock`;
      const { pacer, telegram, receipts, config } = producer.deps;
      const send = notificationHandlers(producer.deps)['message.send'];
      const payload = parsePayload('message.send', job.data) as Parameters<typeof send>[0];
      const run = (token: string) => send(payload, { job, token, log: stack.log });
      // The first run's claim passed and its request went to Telegram; its event loop then stalled past the lock,
      // and BullMQ handed the job to the next worker, which finds no receipt yet.
      expect(await pacer.claim(user.id, payload.seq ?? 0, job.id!, { key: lockKey, token: 'first-run' })).to.deep.equal({ go: true });
      await stack.redis.set(lockKey, 'next-worker', 'PX', 30_000);
      expect(await run('next-worker').then(() => 'sent', (err: unknown) => err), 'the next worker waits').to.be.instanceOf(DelayedError);
      expect(await stack.client.messages(user.id), 'nothing from the next worker while the first send is in flight').to.have.length(0);
      // Telegram answers the first run: its receipt is stored and it finishes with the message.
      const sent = await telegram.sendMessage(user.id, 'Thank you!');
      await receipts.record(jobKey(config, job), 0, user.id, sent.message_id);
      await pacer.advance(user.id, payload.seq!, job.id);
      // The next worker runs the job again: the receipt says the part went.
      await stack.redis.set(lockKey, 'next-worker', 'PX', 30_000);
      await run('next-worker');
      expect((await stack.client.messages(user.id)).map((m) => m.text)).to.deep.equal(['Thank you!']);
    });
  });
});
