import { expect } from 'chai';
import { Redis } from 'ioredis';
import { attachCriticalLog, CriticalLog, criticalLogKey } from '../../src/observability/critical-log';
import { createLogger } from '../../src/lib/logger';
import { TEST_REDIS_URL } from '../support/env';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { startWeb, type RunningWeb } from '../support/web-server';

const TOKEN = '123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQrr';

/**
 * The critical log: errors and security events of every process in a capped Redis stream, read by admins with
 * /logs and by operators on the page beside Bull Board.
 */
describe('critical log in Redis', function () {
  this.timeout(60_000);
  let stack: Stack;
  let log: CriticalLog;
  let web: RunningWeb;
  const operator = { user: 'ops', password: 'ops password', role: 'operator' as const };

  before(async () => {
    stack = await Stack.start({ env: { ADMIN_IDS: '4242', CRITICAL_LOG_MAX: '100' } });
    await stack.client.createUser({ id: 4242, first_name: 'Admin' });
    log = new CriticalLog(stack.redis, stack.config.QUEUE_PREFIX);
    web = await startWeb({ redis: stack.redis, knex: stack.knex, queues: stack.bot!.runtime.queues, board: [operator], log: stack.log });
  });
  after(async () => {
    await web?.close();
    await stack?.stop();
  });

  const newest = async (filter: 'all' | 'error' | 'security' = 'all') => (await log.read(1, filter))[0];

  it('an error keeps its process, host, version and trace ids; tokens are redacted and free-text fields left out', async () => {
    stack.log.error(`sendMessage failed for bot${TOKEN}`, { error: new Error(`401 at /bot${TOKEN}/getMe`), job: 'message.send', job_id: '77', update_id: 5, text: 'what the user wrote', username: 'alice' });
    await waitFor(async () => (await newest('error'))?.job_id === '77', 'the error in the stream');
    const entry = (await newest('error'))!;
    expect(entry).to.include({ level: 'error', service: 'test', job: 'message.send', job_id: '77', update_id: 5, pid: process.pid });
    expect(entry.message).to.equal('sendMessage failed for bot<redacted-token>');
    expect(entry.error).to.equal('401 at /bot<redacted-token>/getMe');
    expect(entry.host).to.be.a('string').and.not.equal('');
    expect(entry.version).to.match(/^([0-9a-f]{7,40}|unknown)$/);
    expect(JSON.stringify(entry)).to.not.include('what the user wrote').and.not.include('alice').and.not.include(TOKEN);
  });

  it('an admin command from a non-admin and a button the bot never sent are security events', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/stats');
    await stack.client.waitForMessages(user.id, 1);
    await waitFor(async () => (await newest('security'))?.security === 'admin.refused', 'admin.refused in the stream');
    expect(await newest('security')).to.include({ security: 'admin.refused', user_id: user.id, job: 'admin.command', level: 'warn' });

    await stack.client.sendText(user.id, '/settings');
    const [, settings] = await stack.client.waitForMessages(user.id, 2);
    // A modified client can send any callback data on a real message; the sandbox's own press refuses that, so inject it.
    await stack.client.injectUpdate({
      callback_query: {
        id: `crafted-${user.id}`, chat_instance: '1', data: 'crafted:data', from: { id: user.id, is_bot: false, first_name: 'A' },
        message: { message_id: settings!.message_id, date: Math.floor(Date.now() / 1000), chat: { id: user.id, type: 'private' } },
      },
    });
    await waitFor(async () => (await newest('security'))?.security === 'callback.unknown', 'callback.unknown in the stream');
  });

  it('/logs answers an admin with the newest entries, filtered by kind and counted', async () => {
    await stack.client.sendText(4242, '/logs 2 security');
    const [reply] = await stack.client.waitForMessages(4242, 1);
    const lines = reply!.text!.split('\n');
    expect(lines[0]).to.equal('Critical log (security), newest first:');
    expect(lines).to.have.length(3);
    // In this one-process stack every part logs as "test"; in production they are bot, worker and web.
    expect(lines[1]).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d security callback\.unknown test@\S+: button press with data no feature knows \(update \d+\)$/);
    expect(lines[2]).to.match(/ security admin\.refused test@\S+: admin command from a user who is not an admin \(job admin\.command, update \d+\)$/);
    await stack.client.sendText(4242, '/logs error');
    const [, errors] = await stack.client.waitForMessages(4242, 2);
    expect(errors!.text).to.include('error test@').and.include('sendMessage failed for bot<redacted-token>').and.not.include('security');
  });

  it('the page beside Bull Board shows the log behind the board login; a wrong login is itself recorded', async () => {
    expect((await fetch(`${web.url}/admin/logs`)).status).to.equal(401);
    const wrong = await fetch(`${web.url}/admin/logs`, { headers: { authorization: `Basic ${Buffer.from('ops:guess').toString('base64')}` } });
    expect(wrong.status).to.equal(401);
    await waitFor(async () => (await newest('security'))?.security === 'board.login_refused', 'board.login_refused in the stream');
    stack.log.error('<script>alert(1)</script> in a message');
    await waitFor(async () => (await newest('error'))?.message.startsWith('<script>') === true, 'the error in the stream');
    const page = await fetch(`${web.url}/admin/logs?filter=all&n=10`, { headers: { authorization: `Basic ${Buffer.from('ops:ops password').toString('base64')}` } });
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.include('&lt;script&gt;alert(1)&lt;/script&gt; in a message').and.not.include('<script>alert(1)');
    expect(html).to.include('security: board.login_refused');
  });

  it('keeps only errors and security events; the stream stays near CRITICAL_LOG_MAX and outlives the process that wrote it', async () => {
    const writer = createLogger({ level: 'debug', service: 'burst', silent: true });
    const redis = new Redis(TEST_REDIS_URL);
    attachCriticalLog(writer, redis, stack.config.QUEUE_PREFIX, 100);
    writer.info('only information');
    writer.warn('only a warning');
    writer.error('the first error');
    await waitFor(async () => (await newest())?.message === 'the first error', 'the first error');
    const kept = (await log.read(20)).map((e) => e.message);
    expect(kept).to.include('the first error');
    expect(kept).to.not.include('only information');
    expect(kept).to.not.include('only a warning');
    for (let i = 0; i < 1_000; i++) writer.error(`burst ${i}`);
    await waitFor(async () => (await newest('error'))?.message === 'burst 999', 'the last burst entry');
    await redis.quit();
    const length = await stack.redis.xlen(criticalLogKey(stack.config.QUEUE_PREFIX));
    expect(length).to.be.at.least(100).and.below(300);
    // Read through another connection once the writer's is gone: the entries are in Redis, not in a process.
    const reader = new Redis(TEST_REDIS_URL);
    const entries = await new CriticalLog(reader, stack.config.QUEUE_PREFIX).read(3, 'error');
    await reader.quit();
    expect(entries.map((e) => e.message)).to.deep.equal(['burst 999', 'burst 998', 'burst 997']);
  });
});
