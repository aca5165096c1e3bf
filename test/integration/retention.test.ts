import { expect } from 'chai';
import { queuePrefix } from '../../src/lib/redis';
import { Queue } from 'bullmq';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);

/**
 * The daily retention prune (docs/RELIABILITY.md#retention): each kind older than its setting is deleted, what is
 * younger stays, a user's current avatar stays whatever its age, a setting of 0 keeps everything, and the Redis
 * counters and skip sets it does not prune carry a TTL.
 */
describe('retention: the daily prune and the Redis keys that expire', function () {
  this.timeout(40_000);
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({
      bot: false,
      env: { AUDIT_KEEP_DAYS: '30', TRANSCRIPTS_KEEP_DAYS: '0', AVATARS_KEEP_DAYS: '60', OUTBOX_KEEP_DAYS: '7', FAILED_JOBS_KEEP_DAYS: '1' },
    });
  });
  after(() => stack?.stop());

  it('deletes what is older than its setting and keeps the rest, the current avatar and the kinds set to 0', async () => {
    const [{ id: userId }] = await stack.knex('users').insert({ telegram_id: 990_001, language: 'en' }).returning('id');
    await stack.knex('audit_events').insert([
      { actor: 'test', action: 'old', at: daysAgo(31) },
      { actor: 'test', action: 'young', at: daysAgo(29) },
    ]);
    await stack.knex('avatar_sets').insert([
      { user_id: userId, source_unique_id: 'a', style: 'square', created_at: daysAgo(90) },
      { user_id: userId, source_unique_id: 'b', style: 'square', created_at: daysAgo(90), current: true },
      { user_id: userId, source_unique_id: 'c', style: 'square', created_at: daysAgo(10) },
    ]);
    await stack.knex('transcripts').insert({
      user_id: userId, request_key: 'transcript:old', source_unique_id: 'v', duration_seconds: 2, engine: 'test', cost: 1, chars: 3,
      key_id: 'test', text_sealed: Buffer.from('x'), created_at: daysAgo(400),
    });
    await stack.knex('outbox').insert([
      { queue: 'notifications', job_id: 'old-done', name: 'message.send', payload: '{}', done_at: daysAgo(8), outcome: 'completed' },
      { queue: 'notifications', job_id: 'young-done', name: 'message.send', payload: '{}', done_at: daysAgo(6), outcome: 'completed' },
      { queue: 'notifications', job_id: 'old-open', name: 'message.send', payload: '{}', created_at: daysAgo(30) },
    ]);
    // A failed job two days old (its finish time set back, as BullMQ's clean reads it).
    const queue = new Queue('backups', { connection: stack.redis, prefix: queuePrefix(stack.redis, stack.config.QUEUE_PREFIX, 'backups') });
    // A job no handler knows fails for good at once (a real failure, through the backups worker).
    const job = await queue.add('no.such.job', {}, { jobId: 'retention-failed', attempts: 1 });
    await waitFor(async () => (await job.getState()) === 'failed', 'the job failed', 10_000);
    await stack.redis.hset(`${stack.config.QUEUE_PREFIX}:backups:retention-failed`, 'finishedOn', String(daysAgo(2).getTime()));
    await stack.redis.zadd(`${stack.config.QUEUE_PREFIX}:backups:failed`, daysAgo(2).getTime(), 'retention-failed');

    const run = await stack.workers!.deps.enqueue('retention.prune', {}, { jobId: 'retention-test' });
    await waitFor(async () => (await run.getState()) === 'completed', 'prune done', 15_000);
    const result = (await stack.workers!.deps.queues.get('billing').getJob('retention-test'))!.returnvalue;

    expect(await stack.knex('audit_events').whereIn('action', ['old', 'young']).pluck('action')).to.deep.equal(['young']);
    expect((await stack.knex('avatar_sets').where({ user_id: userId }).pluck('source_unique_id')).sort()).to.deep.equal(['b', 'c']);
    expect(await stack.knex('transcripts').where({ user_id: userId })).to.have.length(1);
    expect((await stack.knex('outbox').whereIn('job_id', ['old-done', 'young-done', 'old-open']).pluck('job_id')).sort()).to.deep.equal(['old-open', 'young-done']);
    expect(await queue.getJob('retention-failed')).to.equal(undefined);
    expect(result).to.include({ transcripts: 'kept' });
    expect(result.audit_events).to.be.at.least(1);
    expect(result.outbox).to.be.at.least(1);
    await queue.close();
  });

  it('alert counters and chat skip sets expire in Redis', async () => {
    await stack.workers!.deps.alerts.report('test/retention', 'a failure');
    const counters = await stack.redis.keys(`${stack.config.QUEUE_PREFIX}:alerts:*:count`);
    expect(counters.length).to.be.greaterThan(0);
    for (const key of counters) expect(await stack.redis.ttl(key), key).to.be.greaterThan(0);
    await stack.workers!.deps.pacer.skip(990_002, 5);
    const skips = await stack.redis.keys(`${stack.config.QUEUE_PREFIX}*990002*skip*`);
    expect(skips).to.have.length(1);
    expect(await stack.redis.pttl(skips[0]!)).to.be.greaterThan(0);
  });
});
