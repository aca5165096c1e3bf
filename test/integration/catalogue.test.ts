import { Queue, QueueEvents } from 'bullmq';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createEnqueue, PayloadError } from '../../src/jobs/enqueue';
import { defineWorker, type QueueWorkerDefinition } from '../../src/jobs/handler.types';
import { QueueRegistry } from '../../src/jobs/queues';
import { startWorkerProcess, type WorkerProcess } from '../../workers/worker-process';
import { buildHandlerTable, HandlerRegistryError } from '../../src/jobs/worker-runner';
import { createLogger } from '../../src/lib/logger';
import { workerDefinitions } from '../../workers';
import { TEST_REDIS_URL, testConfig, testToken } from '../support/env';
import { deleteKeysWithPrefix } from '../../src/lib/redis';

describe('job catalogue and worker runner', () => {
  const config = testConfig({ BOT_TOKEN: testToken(), WORKER_QUEUES: 'interactive' });
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const queues = new QueueRegistry(redis, config.QUEUE_PREFIX);
  const enqueue = createEnqueue(queues);

  after(async () => {
    await queues.close();
    await deleteKeysWithPrefix(redis, config.QUEUE_PREFIX);
    await redis.quit();
  });

  it('enqueue() refuses a bad payload and queues nothing', async () => {
    const bad = { actor: { telegramId: -5, chatId: 1 }, key: 'not-a-reply' };
    let error: unknown;
    try {
      await enqueue('account.reply', bad as never);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(PayloadError);
    expect((error as Error).message).to.match(/invalid payload for account\.reply: actor\.telegramId: .*; key: /);
    expect(await queues.get('interactive').count()).to.equal(0);
  });

  it('enqueue() applies the catalogue defaults: retries with exponential backoff and bounded history', async () => {
    const job = await enqueue('message.send', { chatId: 1, text: 'hi' });
    expect(job.opts.attempts).to.equal(8);
    expect(job.opts.backoff).to.deep.include({ type: 'exponential' });
    expect(job.opts.removeOnComplete).to.deep.equal({ age: 86400, count: 1000 });
    expect(job.data).to.deep.include({ lang: 'en' });
    await job.remove();
  });

  describe('a worker process', () => {
    let proc: WorkerProcess;
    before(async () => {
      proc = await startWorkerProcess(config, workerDefinitions, createLogger({ level: 'error', service: 'test', silent: true }));
    });
    after(() => proc.close());

    it('fails a job whose payload in Redis is bad as unrecoverable, without retrying', async () => {
      // Bypass enqueue(): a producer from an older release, or a hand-edited job in Bull Board.
      const raw = new Queue('interactive', { connection: redis, prefix: config.QUEUE_PREFIX });
      const events = new QueueEvents('interactive', { connection: TEST_REDIS_URL as never, prefix: config.QUEUE_PREFIX });
      await events.waitUntilReady();
      try {
        const failed = new Promise<string>((resolve) => events.on('failed', ({ failedReason }) => resolve(failedReason)));
        const job = await raw.add('account.reply', { actor: { telegramId: 'x' } }, { attempts: 5 });
        const reason = await failed;
        expect(reason).to.match(/^invalid payload for account\.reply: actor\.telegramId/);
        const stored = await raw.getJob(job.id!);
        expect(stored!.attemptsMade).to.equal(1);
        expect(await stored!.getState()).to.equal('failed');
      } finally {
        await events.close();
        await raw.close();
      }
    });
  });

  describe('handler registry (checked at start-up)', () => {
    const deps = {} as never;
    it('accepts the real workers: every catalogue job has exactly one handler', () => {
      expect(buildHandlerTable(workerDefinitions, deps).size).to.be.greaterThan(0);
    });

    it('refuses to start when a job has no handler', () => {
      const withoutNotifications = workerDefinitions.filter((d) => d.queue !== 'notifications');
      expect(() => buildHandlerTable(withoutNotifications, deps)).to.throw(HandlerRegistryError, /no handler for "message\.send"/);
    });

    it('refuses to start when a job has two handlers', () => {
      const twice = defineWorker({ queue: 'notifications', concurrency: () => 1, handlers: () => ({ 'message.send': async () => 1, 'admin.alert': async () => 1, broadcast: async () => 1, 'message.edit': async () => 1, 'receipts.prune': async () => 1 }) });
      expect(() => buildHandlerTable([...workerDefinitions, twice as QueueWorkerDefinition], deps)).to.throw(
        HandlerRegistryError,
        /two handlers for "message\.send"/,
      );
    });

    it('the worker process itself refuses to start with a gap', async () => {
      const gap = workerDefinitions.filter((d) => d.queue !== 'interactive');
      let error: unknown;
      try {
        await startWorkerProcess(config, gap, createLogger({ level: 'error', service: 'test', silent: true }));
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(HandlerRegistryError);
      expect((error as Error).message).to.include('no handler for "account.register"');
    });
  });
});
