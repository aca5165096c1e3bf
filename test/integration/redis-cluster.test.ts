import { expect } from 'chai';
import { parseConfig } from '../../src/config';
import { connectRedis, createRedis } from '../../src/lib/redis';
import { OwnRedisCluster } from '../support/own-redis-cluster';
import { Stack } from '../support/stack';
import { sleep } from '../support/wait';

/**
 * The platform on a real Redis Cluster of the test's own (3 masters, `redis-cli --cluster create`): every connection
 * is an ioredis Cluster, every multi-key script touches one slot, and the work spreads over the shards.
 * `npm run test:cluster` runs the Redis-heavy subset of the suite on a cluster too (docs/SCALING.md).
 */
describe('on a real Redis Cluster (3 masters)', function () {
  this.timeout(120_000);
  let cluster: OwnRedisCluster;
  let stack: Stack;

  before(async () => {
    cluster = await OwnRedisCluster.start(3);
    stack = await Stack.start({ env: { REDIS_CLUSTER_NODES: cluster.nodes, RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_MINUTE: '1' } });
  });
  after(async () => {
    await stack?.stop();
    await cluster?.destroy();
  });

  it('40 first contacts are each welcomed once, and the keys spread over all three masters', async () => {
    const users = await Promise.all(Array.from({ length: 40 }, () => stack.client.createUser()));
    await Promise.all(users.map((u) => stack.client.sendText(u.id, '/start')));
    for (const u of users) expect((await stack.client.waitForMessages(u.id, 1, 15_000))[0]!.text).to.match(/^Welcome to Switchyard!/);
    await sleep(300);
    for (const u of users) {
      const texts = (await stack.client.messages(u.id)).map((m) => m.text!.split('\n')[0]);
      expect(texts.filter((t) => t!.startsWith('Welcome to Switchyard!')), `user ${u.id}: one welcome`).to.have.length(1);
      expect(await stack.balanceOf(u.id), `user ${u.id}: the welcome bonus once`).to.be.greaterThan(0);
    }
    const all = await cluster.spread(`*${stack.config.QUEUE_PREFIX}*`);
    // Per-chat keys (here: each update's dedupe mark, kept for a day) carry the chat's id as their tag: 40 chats
    // land on every master. A queue is one slot by BullMQ's design (docs/SCALING.md), so the totals are only shown.
    const spread = await cluster.spread(`${stack.config.QUEUE_PREFIX}:bot:*:update:{*`);
    const counts = Object.values(spread);
    const total = counts.reduce((a, b) => a + b, 0);
    console.log(`      keys per master: all ${JSON.stringify(all)}; per-chat dedupe marks ${JSON.stringify(spread)}`);
    expect(total, 'one dedupe mark per update').to.equal(40);
    expect(counts).to.have.length(3);
    for (const [node, n] of Object.entries(spread)) expect(n, `per-chat keys on ${node}`).to.be.greaterThan(0);
    expect(Math.max(...counts) / total, 'no master holds (nearly) every chat').to.be.below(0.8);
  });

  it('an update delivered twice is answered once', async () => {
    const user = await stack.client.createUser();
    const update = await stack.client.sendText(user.id, '/help');
    await stack.client.waitForMessages(user.id, 1);
    await stack.client.redeliver(update.update_id);
    await stack.client.sendText(user.id, '/cancel');
    await stack.client.waitForMessages(user.id, 2);
    await sleep(300);
    expect((await stack.client.messages(user.id)).map((m) => m.text!.split('\n')[0])).to.deep.equal(['What I can do:', 'Cancelled. Send /help to see what I can do.']);
  });

  it('the rate limit follows a user from a group (another slot) into their private chat', async () => {
    const user = await stack.client.createUser();
    const group = await stack.client.createGroup();
    for (let i = 0; i < 6; i++) await stack.client.sendText(user.id, '/help', { chatId: group.id });
    await stack.client.waitForMessages(group.id, 4);
    await sleep(500);
    const inGroup = (await stack.client.messages(group.id)).map((m) => m.text!);
    expect(inGroup.filter((t) => t.startsWith('What I can do'))).to.have.length(3);
    expect(inGroup.filter((t) => t.startsWith('You are sending messages too fast'))).to.have.length(1);
    // The same user's bucket, spent in the group: the private chat (a different slot) is over the limit too, and the
    // notice is not sent twice.
    await stack.client.sendText(user.id, '/help');
    await stack.client.sendText(user.id, '/balance');
    await sleep(1_500);
    expect(await stack.client.messages(user.id)).to.have.length(0);
  });

  it('a cluster that requires a password: the password comes from REDIS_URL, and a wrong one is refused at start', async function () {
    this.timeout(60_000);
    const locked = await OwnRedisCluster.start(3, { password: 'cluster-secret-9' });
    try {
      const ok = await Stack.start({ env: { REDIS_CLUSTER_NODES: locked.nodes, REDIS_URL: 'redis://:cluster-secret-9@127.0.0.1:1' } });
      try {
        const user = await ok.client.createUser();
        await ok.client.sendText(user.id, '/start');
        expect((await ok.client.waitForMessages(user.id, 1, 15_000))[0]!.text).to.match(/^Welcome to Switchyard!/);
      } finally {
        await ok.stop();
      }
      const wrong = createRedis({ REDIS_URL: 'redis://:not-it@127.0.0.1:1', REDIS_CLUSTER_NODES: locked.nodes.split(',') }, 'producer', { retryStrategy: () => null });
      const refused = await connectRedis(wrong, 5_000).then(() => null, (err: Error) => err);
      wrong.disconnect();
      console.log(`      a wrong password: ${refused?.message}`);
      expect(refused?.message).to.match(/WRONGPASS|invalid username-password|NOAUTH|None of startup nodes is available/i);
    } finally {
      await locked.destroy();
    }
  });

  it('a QUEUE_PREFIX with its own hash tag is refused on a cluster: Switchyard tags the keys itself', () => {
    expect(() => parseConfig({ NODE_ENV: 'test', REDIS_CLUSTER_NODES: cluster.nodes, QUEUE_PREFIX: '{switchyard}' })).to.throw(/QUEUE_PREFIX: no braces/);
    expect(parseConfig({ NODE_ENV: 'test', REDIS_CLUSTER_NODES: cluster.nodes }).REDIS_CLUSTER_NODES).to.deep.equal(cluster.nodes.split(','));
  });
});
