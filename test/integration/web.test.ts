import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createBotRuntime, type BotRuntime } from '../../src/bot/bot-runtime';
import { dialogEpochKey } from '../../src/jobs/dialog-keys';
import { QUEUE_NAMES } from '../../src/config';
import { createKnex } from '../../src/db/knex';
import { QueueRegistry } from '../../src/jobs/queues';
import { createLogger } from '../../src/lib/logger';
import { createRedis, type RedisClient } from '../../src/lib/redis';
import { startSandbox } from '../../src/sandbox/sandbox.server';
import { TEST_DATABASE_URL, TEST_REDIS_URL, testConfig, testToken, uniquePrefix } from '../support/env';
import { OwnRedis } from '../support/own-redis';
import { deleteKeysWithPrefix } from '../../src/lib/redis';
import { waitFor } from '../support/wait';
import { startWeb, type RunningWeb } from '../support/web-server';

const log = createLogger({ level: 'error', service: 'test' });
const operator = { user: `operator-${uniquePrefix()}`, password: 'correct horse battery', role: 'operator' as const };
const viewer = { user: `viewer-${uniquePrefix()}`, password: 'look but do not touch', role: 'viewer' as const };
const board = [operator, viewer];
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;


describe('web process', () => {
  describe('Bull Board, webhook', () => {
    let sandbox: Awaited<ReturnType<typeof startSandbox>>;
    let runtime: BotRuntime;
    let knex: Knex;
    let web: RunningWeb;
    let url: string;
    const secret = 'hook-secret_123';

    before(async () => {
      sandbox = await startSandbox();
      const config = testConfig({ BOT_TOKEN: testToken(), TELEGRAM_API_ROOT: sandbox.apiRoot });
      runtime = await createBotRuntime(config, log);
      // No workers here: the dialog store's epoch, which they would set, is set by hand (no restore is waited for).
      await runtime.redis.set(dialogEpochKey(runtime.redis, config.QUEUE_PREFIX, runtime.bot.botInfo!.id), String(Date.now()));
      knex = createKnex(TEST_DATABASE_URL, { max: 2 });
      web = await startWeb({ redis: runtime.redis, knex, queues: runtime.queues, board, webhook: { ingress: runtime.ingress, secret } });
      url = web.url;
    });
    after(async () => {
      await web.close();
      await deleteKeysWithPrefix(runtime.redis, runtime.queues.prefix);
      await runtime.close();
      await knex.destroy();
      await sandbox.close();
    });

    const update = (id: number) => ({
      update_id: id,
      message: { message_id: 1, date: 1, chat: { id: 777, type: 'private' }, from: { id: 777, is_bot: false, first_name: 'T' }, text: '/help',
        entities: [{ type: 'bot_command', offset: 0, length: 5 }] },
    });
    const post = (body: unknown, headers: Record<string, string>) =>
      fetch(`${url}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const queued = async () => (await runtime.queues.get('interactive').getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed'));

    it('refuses a webhook call with a wrong or missing secret: 401, nothing enqueued', async () => {
      expect((await post(update(1), { 'X-Telegram-Bot-Api-Secret-Token': 'wrong' })).status).to.equal(401);
      expect((await post(update(2), {})).status).to.equal(401);
      expect(Object.values(await queued()).reduce((a, b) => a + b, 0)).to.equal(0);
    });

    it('accepts the right secret and enqueues the update once, even when Telegram delivers it twice', async () => {
      const first = await post(update(3), { 'X-Telegram-Bot-Api-Secret-Token': secret });
      const again = await post(update(3), { 'X-Telegram-Bot-Api-Secret-Token': secret });
      expect(first.status).to.equal(200);
      expect(await first.json()).to.deep.include({ outcome: 'enqueued' });
      expect(await again.json()).to.deep.include({ outcome: 'duplicate' });
      const job = await runtime.queues.get('interactive').getJob('update-3');
      expect(job!.name).to.equal('account.reply');
      expect(job!.data).to.deep.include({ key: 'help', updateId: 3 });
      expect((await queued()).waiting).to.equal(1);
    });

    it('Bull Board answers 401 without credentials or with wrong ones', async () => {
      expect((await fetch(`${url}/admin/queues`)).status).to.equal(401);
      expect((await fetch(`${url}/admin/queues/api/queues`, { headers: { authorization: basic(operator.user, 'nope') } })).status).to.equal(401);
    });

    it('Bull Board lists every catalogue queue to an operator with credentials', async () => {
      const page = await fetch(`${url}/admin/queues`, { headers: { authorization: basic(operator.user, operator.password) } });
      expect(page.status).to.equal(200);
      expect(await page.text()).to.include('Switchyard');
      const api = await fetch(`${url}/admin/queues/api/queues`, { headers: { authorization: basic(operator.user, operator.password) } });
      const { queues } = (await api.json()) as { queues: { name: string }[] };
      expect(queues.map((q) => q.name).sort()).to.deep.equal([...QUEUE_NAMES].sort());
    });

    it('a viewer sees the queues but the server refuses its changes (403), and the attempt is audited', async () => {
      const auth = { authorization: basic(viewer.user, viewer.password) };
      const list = await fetch(`${url}/admin/queues/api/queues`, { headers: auth });
      expect(list.status).to.equal(200);
      const job = await runtime.queues.get('interactive').add('account.reply', { x: 1 }, { delay: 60_000 });
      const promote = await fetch(`${url}/admin/queues/api/queues/interactive/${job.id}/promote`, { method: 'PUT', headers: auth });
      expect(promote.status).to.equal(403);
      expect(await job.getState()).to.equal('delayed');
      const [event] = await knex('audit_events').where({ actor: `viewer:${viewer.user}`, action: 'board.refused' });
      expect(event.subject).to.equal(`queue:interactive/job:${job.id}`);
    });

    it("an operator's change works and is audited with the operator's name", async () => {
      const job = await runtime.queues.get('interactive').add('account.reply', { x: 2 }, { delay: 60_000 });
      const res = await fetch(`${url}/admin/queues/api/queues/interactive/${job.id}/promote`, {
        method: 'PUT',
        headers: { authorization: basic(operator.user, operator.password) },
      });
      expect(res.status).to.be.below(300);
      expect(await job.getState()).to.equal('waiting');
      await waitFor(async () => (await knex('audit_events').where({ actor: `operator:${operator.user}`, action: 'board.promote' })).length === 1, 'audit row');
      const [event] = await knex('audit_events').where({ actor: `operator:${operator.user}`, action: 'board.promote' });
      expect(event.subject).to.equal(`queue:interactive/job:${job.id}`);
    });
  });

  describe('health and readiness', () => {
    let own: OwnRedis;
    let redis: RedisClient;
    let knex: Knex;
    let queues: QueueRegistry;
    let queueConnection: Redis;
    let web: RunningWeb;
    let url: string;

    before(async () => {
      own = await OwnRedis.start();
      redis = createRedis(own.url, 'producer');
      await redis.connect();
      knex = createKnex(TEST_DATABASE_URL, { max: 2 });
      queueConnection = new Redis(TEST_REDIS_URL, { lazyConnect: true });
      queues = new QueueRegistry(queueConnection, uniquePrefix());
      web = await startWeb({ redis, knex, queues, board, readyTimeoutMs: 500 });
      url = web.url;
    });
    after(async () => {
      await web.close();
      await queues.close();
      queueConnection.disconnect();
      redis.disconnect();
      await knex.destroy();
      await own.kill();
    });

    it('/readyz is 200 while Redis and Postgres answer', async () => {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ status: 'ready', redis: 'ok', postgres: 'ok', off: [] });
    });

    it('/readyz turns 503 and names Redis while Redis is unreachable; /healthz stays 200', async () => {
      await own.kill();
      const res = await fetch(`${url}/readyz`);
      expect(res.status).to.equal(503);
      const body = (await res.json()) as { redis: string; postgres: string };
      expect(body.postgres).to.equal('ok');
      expect(body.redis).to.not.equal('ok');
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
    });
  });
});
