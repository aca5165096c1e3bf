// Over 250 lines: the bot flow end to end shares one Stack per describe; splitting would restart it per file.
import { Queue } from 'bullmq';
import { queuePrefix } from '../../src/lib/redis';
import { expect } from 'chai';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { Progress } from '../../src/domain/notifications/progress';
import { crashHandler } from '../../src/observability/crash-reporter';

/** A user talks to the bot: sandbox → polling bot → BullMQ → workers → Postgres → sandbox. */
describe('bot flow through the sandbox', () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({ env: { ADMIN_IDS: '4242', ALERT_DELAY_MS: '1000' } });
    await stack.client.createUser({ id: 4242, first_name: 'Admin' });
  });
  after(() => stack?.stop());

  it('/start registers the user and a worker sends the welcome', async () => {
    const user = await stack.client.createUser({ username: 'alice', language_code: 'en' });
    await stack.client.sendText(user.id, '/start');
    const [reply] = await stack.client.waitForMessages(user.id, 1);
    expect(reply!.text).to.match(/^Welcome to Switchyard!/);
    const row = await stack.user(user.id);
    expect(row).to.include({ username: 'alice', language: 'en', role: 'user', status: 'active' });
    const audit = await stack.knex('audit_events').where({ actor: `user:${user.id}`, action: 'account.registered' });
    expect(audit).to.have.length(1);
  });

  it('registration gives the welcome bonus exactly once; /balance and /prices answer', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/start');
    const [welcome] = await stack.client.waitForMessages(user.id, 1);
    expect(welcome!.text).to.include('You got 100 coins to start with.');
    await stack.client.sendText(user.id, '/start');
    const [, again] = await stack.client.waitForMessages(user.id, 2);
    expect(again!.text).to.not.include('coins');
    await stack.client.sendText(user.id, '/balance');
    expect((await stack.client.waitForMessages(user.id, 3))[2]!.text).to.equal('Your balance: 100 coins.');
    await stack.client.sendText(user.id, '/prices');
    expect((await stack.client.waitForMessages(user.id, 4))[3]!.text).to.equal('Prices:\nTranscript: 10 coins per started minute\nAvatar: 20 coins');
  });

  it('the bot publishes its command menu at start, in English and in Russian, with the lines of /help', async () => {
    const call = async (extra: object) => {
      const res = await fetch(`${stack.sandbox.apiRoot}/bot${stack.config.BOT_TOKEN}/getMyCommands`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(extra),
      });
      return ((await res.json()) as { result: { command: string; description: string }[] }).result;
    };
    const en = await call({});
    const ru = await call({ language_code: 'ru' });
    expect(en.map((c) => c.command)).to.deep.equal(['start', 'help', 'balance', 'topup', 'history', 'usage', 'prices', 'avatars', 'transcripts', 'settings', 'feedback', 'paysupport', 'terms', 'cancel']);
    expect(en).to.deep.include({ command: 'balance', description: 'your coins' });
    expect(ru.map((c) => c.command)).to.deep.equal(en.map((c) => c.command));
    expect(ru).to.deep.include({ command: 'balance', description: 'ваши монеты' });
  });

  it('a Russian-speaking user is answered in Russian; /start again says welcome back', async () => {
    const user = await stack.client.createUser({ language_code: 'ru' });
    await stack.client.sendText(user.id, '/start');
    await stack.client.waitForMessages(user.id, 1);
    await stack.client.sendText(user.id, '/start');
    const replies = await stack.client.waitForMessages(user.id, 2);
    expect(replies[0]!.text).to.match(/^Добро пожаловать в Switchyard!/);
    expect(replies[1]!.text).to.match(/^С возвращением!/);
    expect(await stack.knex('users').where({ telegram_id: user.id })).to.have.length(1);
  });

  it('an update delivered twice produces one job and one reply', async () => {
    const user = await stack.client.createUser();
    const update = await stack.client.sendText(user.id, '/help');
    await stack.client.waitForMessages(user.id, 1);
    await stack.client.redeliver(update.update_id);
    // A later update is handled after the redelivery (same chat, in order): its reply marks "done".
    await stack.client.sendText(user.id, '/cancel');
    const replies = await stack.client.waitForMessages(user.id, 2);
    await new Promise((r) => setTimeout(r, 300));
    const all = await stack.client.messages(user.id);
    expect(all.map((m) => m.text!.split('\n')[0])).to.deep.equal(['What I can do:', 'Cancelled. Send /help to see what I can do.']);
    // The user's commands are in the audit trail, each once.
    const actions = await stack.knex('audit_events').where({ actor: `user:${user.id}` }).orderBy('id').pluck('action');
    expect(actions).to.deep.equal(['command.help', 'command.cancelled']);
    expect(replies).to.have.length(2);
    const jobs = await stack.bot!.runtime.queues.get('interactive').getJobs(['completed', 'waiting', 'active', 'delayed']);
    expect(jobs.filter((j) => j.data.updateId === update.update_id)).to.have.length(1);
  });

  it('unknown commands, plain text and unsupported kinds get a helpful reply from a worker', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/frobnicate now');
    await stack.client.waitForMessages(user.id, 1);
    await stack.client.sendText(user.id, 'hello there');
    await stack.client.waitForMessages(user.id, 2);
    // A location: a kind no feature takes (photos and files go to avatars).
    await stack.client.injectUpdate({
      message: { message_id: 900_001, date: Math.floor(Date.now() / 1000), chat: { id: user.id, type: 'private' }, from: { id: user.id, is_bot: false, first_name: 'A' }, location: { latitude: 55.75, longitude: 37.62 } },
    });
    const replies = await stack.client.waitForMessages(user.id, 3);
    expect(replies.map((m) => m.text)).to.deep.equal([
      'I do not know the command /frobnicate. Send /help to see what I can do.',
      'I only understand commands for now. Send /help to see them.',
      'I cannot handle this kind of message yet. Send /help to see what I can do.',
    ]);
  });

  it('a dialog survives a bot restart: /feedback, restart, the next text reaches the team', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/feedback');
    const [prompt] = await stack.client.waitForMessages(user.id, 1);
    expect(prompt!.text).to.match(/^Write your feedback/);
    await stack.stopBot();
    await stack.startBot();
    await stack.client.sendText(user.id, 'The bot is lovely');
    const replies = await stack.client.waitForMessages(user.id, 2);
    expect(replies[1]!.text).to.equal('Thank you! Your feedback reached the team.');
    const forwarded = await stack.client.waitForMessages(4242, 1);
    expect(forwarded[0]!.text).to.equal(`Feedback from user ${user.id}:\nThe bot is lovely`);
    const [event] = await stack.knex('audit_events').where({ actor: `user:${user.id}`, action: 'feedback.submitted' });
    // Kept sealed, not in clear; the team's key opens it.
    expect(JSON.stringify(event.details)).to.not.contain('lovely');
    expect(event.details.length).to.equal('The bot is lovely'.length);
    const opened = stack.workers!.deps.keyring.open({ keyId: event.details.sealed.keyId, data: Buffer.from(event.details.sealed.data, 'base64') }, event.idempotency_key);
    expect(opened).to.equal('The bot is lovely');
    // The dialog ended: the same text again is just text.
    await stack.client.sendText(user.id, 'The bot is lovely');
    const after = await stack.client.waitForMessages(user.id, 3);
    expect(after[2]!.text).to.match(/^I only understand commands/);
  });

  it('an update Telegram refuses to serve (an expired button) is dropped and does not block the chat or polling', async () => {
    const user = await stack.client.createUser();
    // A press on a button of a message from long ago: answerCallbackQuery gets 400 "query is too old".
    await stack.client.injectUpdate({
      callback_query: {
        id: '999999999', from: { id: user.id, is_bot: false, first_name: 'Test' }, chat_instance: '1', data: 'stale',
        message: { message_id: 1, date: 1, chat: { id: user.id, type: 'private' }, text: 'old' },
      },
    });
    await stack.client.sendText(user.id, '/help');
    const [reply] = await stack.client.waitForMessages(user.id, 1);
    expect(reply!.text).to.match(/^What I can do/);
    expect((await stack.client.stats()).calls.answerCallbackQuery).to.be.at.least(1);
    // Polling moved past it: Telegram (the sandbox) holds no unconfirmed updates.
    await waitFor(async () => (await stack.client.stats()).pendingUpdates === 0, 'all updates confirmed');
  });

  it('a non-admin admin command is refused in plain words and the attempt is audited', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/stats');
    const [reply] = await stack.client.waitForMessages(user.id, 1);
    expect(reply!.text).to.equal('This command is for administrators only.');
    const [event] = await stack.knex('audit_events').where({ actor: `user:${user.id}`, action: 'admin.refused' });
    expect(event.subject).to.equal('command:stats');
  });

  it('an admin bans and unbans a user; a banned user is ignored; /stats and /audit answer', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/start');
    await stack.client.waitForMessages(user.id, 1);
    const adminMessages = async () => (await stack.client.messages(4242)).length;
    const before = await adminMessages();
    await stack.client.sendText(4242, `/ban ${user.id}`);
    const afterBan = await stack.client.waitForMessages(4242, before + 1);
    expect(afterBan.at(-1)!.text).to.equal(`User ${user.id} is banned: their messages are ignored from now on.`);
    expect((await stack.user(user.id)).status).to.equal('banned');
    await stack.client.sendText(user.id, '/help');
    await new Promise((r) => setTimeout(r, 700));
    expect(await stack.client.messages(user.id), 'no answer to a banned user').to.have.length(1);
    await stack.client.sendText(4242, `/unban ${user.id}`);
    await stack.client.waitForMessages(4242, before + 2);
    expect((await stack.user(user.id)).status).to.equal('active');
    await stack.client.sendText(4242, '/stats');
    const stats = (await stack.client.waitForMessages(4242, before + 3)).at(-1)!.text!;
    expect(stats).to.match(/^Users: \d+ \(active \d+, blocked the bot \d+, banned \d+\)\nQueues/);
    expect(stats).to.include('billing: ');
    await stack.client.sendText(4242, '/audit 5');
    const audit = (await stack.client.waitForMessages(4242, before + 4)).at(-1)!.text!;
    expect(audit).to.match(/^Latest audit events:/);
    expect(audit).to.include(`user:4242 admin.unban user:${user.id}`);
    await stack.client.sendText(4242, `/grant ${user.id} 25 thanks for the report`);
    expect((await stack.client.waitForMessages(4242, before + 5)).at(-1)!.text).to.equal(`Granted 25 coins to user ${user.id}; their balance is now 125.`);
    await stack.client.sendText(4242, `/grant ${user.id} -1000 mistake`);
    expect((await stack.client.waitForMessages(4242, before + 6)).at(-1)!.text).to.equal(`Not done: user ${user.id} has only 125 coins.`);
  });

  it('a second bot on the same database (a new token) whose update ids repeat the first one\'s still grants and audits', async () => {
    const user = await stack.registered();
    const before = (await stack.client.messages(4242)).length;
    const first = await stack.client.sendText(4242, `/grant ${user.id} 25 from the first bot`);
    expect((await stack.client.waitForMessages(4242, before + 1)).at(-1)!.text).to.equal(`Granted 25 coins to user ${user.id}; their balance is now 125.`);
    // Telegram numbers updates per bot: the other bot's update carries the same update_id.
    const other = await Stack.start({ env: { ADMIN_IDS: '4242' } });
    try {
      await other.client.createUser({ id: 4242, first_name: 'Admin' });
      const text = `/grant ${user.id} 25 from the second bot`;
      await other.client.injectUpdate({
        update_id: first.update_id,
        message: {
          message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: 4242, type: 'private' }, from: { id: 4242, is_bot: false, first_name: 'Admin' },
          text, entities: [{ type: 'bot_command', offset: 0, length: '/grant'.length }],
        },
      });
      const [reply] = await other.client.waitForMessages(4242, 1);
      expect(reply!.text).to.equal(`Granted 25 coins to user ${user.id}; their balance is now 150.`);
      expect(await stack.balanceOf(user.id)).to.equal(150);
      const grants = await stack.knex('audit_events').where({ action: 'admin.grant', subject: `user:${user.id}` });
      expect(grants).to.have.length(2);
    } finally {
      await other.stop();
    }
  });

  it('an id taken off ADMIN_IDS loses the admin right at the restart: /grant is refused, and its role reads user again', async () => {
    const user = await stack.registered();
    const before = (await stack.client.messages(4242)).length;
    await stack.client.sendText(4242, '/stats');
    await stack.client.waitForMessages(4242, before + 1);
    expect((await stack.user(4242)).role).to.equal('admin');
    // The deployment restarts with another admin list, on the same database.
    const other = await Stack.start({ env: { ADMIN_IDS: '4343' } });
    try {
      await other.client.createUser({ id: 4242, first_name: 'Admin' });
      await other.client.sendText(4242, `/grant ${user.id} 25 am I still an admin?`);
      const [reply] = await other.client.waitForMessages(4242, 1);
      expect(reply!.text).to.equal('This command is for administrators only.');
      expect(await stack.balanceOf(user.id)).to.equal(100);
      expect((await stack.user(4242)).role).to.equal('user');
    } finally {
      await other.stop();
    }
  });

  it('a user who blocked the bot is marked blocked_bot and the send is not retried', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/start');
    await stack.client.waitForMessages(user.id, 1);
    await stack.client.blockBot(user.id);
    const forbiddenBefore = (await stack.client.stats()).forbidden;
    const update = await stack.client.sendText(user.id, '/help');
    const queue = stack.workers!.running.workers.find((w) => w.name === 'notifications')!;
    await waitFor(async () => (await stack.user(user.id))?.status === 'blocked_bot', 'user marked blocked');
    // The status is set inside the job: read the job once it has finished.
    const replyJob = () => stack.bot!.runtime.queues.get('notifications').getJob(`reply-${update.update_id}`);
    await waitFor(async () => (await replyJob())?.finishedOn != null, 'the reply job finished');
    const job = await replyJob();
    expect(job!.attemptsMade).to.be.at.most(1);
    expect(job!.returnvalue).to.deep.include({ delivered: false, reason: 'chat_unreachable' });
    expect((await stack.client.stats()).forbidden - forbiddenBefore).to.equal(1);
    expect(queue.isRunning()).to.equal(true);
    // Writing again (the user unblocked us) makes the account active again.
    await stack.client.blockBot(user.id, false);
    await stack.client.sendText(user.id, '/start');
    await stack.client.waitForMessages(user.id, 2);
    expect((await stack.user(user.id)).status).to.equal('active');
  });

  it('a retried message.send whose send already succeeded does not send again', async () => {
    const user = await stack.client.createUser();
    const job = await stack.workers!.deps.enqueue('message.send', { chatId: user.id, text: 'Your report is ready.' }, { jobId: `receipt-${user.id}` });
    await stack.client.waitForMessages(user.id, 1);
    await waitFor(async () => (await job.getState()) === 'completed', 'first run completed');
    // Run the very same job again, as BullMQ does after a stall or an operator's retry.
    await job.retry('completed');
    await waitFor(async () => (await job.getState()) === 'completed' && (await stack.bot!.runtime.queues.get('notifications').getJob(job.id!))!.returnvalue?.alreadySent === 1, 'second run completed');
    await new Promise((r) => setTimeout(r, 200));
    expect(await stack.client.messages(user.id)).to.have.length(1);
  });

  it('a long job shows a chat action and one "working…" message edited as it advances', async () => {
    const user = await stack.client.createUser();
    const progress = new Progress(stack.workers!.deps, user.id, 'en', `long-job-${user.id}`);
    await progress.action('upload_photo');
    await progress.start('progress.working', { percent: '' });
    await progress.update('progress.working', { percent: '50 %' });
    await progress.update('progress.done');
    await waitFor(async () => (await stack.client.messages(user.id))[0]?.text === 'Done.', 'message edited to Done.', 10_000);
    const messages = await stack.client.messages(user.id);
    expect(messages, 'one message, edited, not three').to.have.length(1);
    expect(messages[0]!.edited).to.be.at.least(1);
    expect((await stack.client.chatActions(user.id)).map((a) => a.action)).to.include('upload_photo');
  });

  it('a text over 4096 characters arrives as several messages split on line boundaries', async () => {
    const user = await stack.client.createUser();
    const lines = Array.from({ length: 300 }, (_, i) => `${i}: ${'lorem ipsum '.repeat(3)}`);
    await stack.workers!.deps.enqueue('message.send', { chatId: user.id, text: lines.join('\n') });
    // 4 parts: the 4th exceeds the per-chat burst, so it also rides out a 429 without repeating parts 1-3.
    const parts = await stack.client.waitForMessages(user.id, 4, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const all = await stack.client.messages(user.id);
    for (const p of all) expect(p.text!.length).to.be.at.most(4096);
    expect(all.map((m) => m.text).join('\n')).to.equal(lines.join('\n'));
    expect(parts).to.have.length(4);
  });
});

describe('admin alerts', () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({ bot: false, env: { ADMIN_IDS: '4343', ALERT_DELAY_MS: '1500' } });
    await stack.client.createUser({ id: 4343, first_name: 'Admin' });
  });
  after(() => stack?.stop());

  it('the same failure repeated 50 times reaches the admins as one alert with a count', async () => {
    // 50 jobs that can never succeed (a payload the catalogue refuses), as an old producer might leave them.
    const raw = new Queue('interactive', { connection: stack.redis, prefix: queuePrefix(stack.redis, stack.config.QUEUE_PREFIX, 'interactive') });
    await raw.addBulk(Array.from({ length: 50 }, (_, i) => ({ name: 'account.reply', data: { actor: { telegramId: `bad-${i}` } } })));
    const [alert] = await stack.client.waitForMessages(4343, 1, 10_000);
    expect(alert!.text).to.match(/^⚠️ interactive\/account\.reply\njob failed for good: invalid payload for account\.reply/);
    expect(alert!.text).to.match(/×50 since /);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await stack.client.messages(4343)).to.have.length(1);
    await raw.close();
  });

  it('an error nobody caught in a process reaches the admins too', async () => {
    const before = (await stack.client.messages(4343)).length;
    const handle = crashHandler(stack.log, stack.workers!.deps.alerts, 'bot');
    await handle(new Error('socket hang up while talking to 10.0.0.7'));
    const messages = await stack.client.waitForMessages(4343, before + 1, 10_000);
    expect(messages.at(-1)!.text).to.match(/^⚠️ process\/bot\nunhandled error: socket hang up while talking to 10\.0\.0\.7\n×1 since /);
  });
});

describe('inbound rate limit', () => {
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({ env: { RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_MINUTE: '1' } });
  });
  after(() => stack?.stop());

  it('a burst over the limit gets one polite notice, not one per message', async () => {
    const user = await stack.client.createUser();
    for (let i = 0; i < 10; i++) await stack.client.sendText(user.id, '/help');
    // 3 answers within the burst + 1 notice; the other 6 messages are dropped quietly.
    const replies = await stack.client.waitForMessages(user.id, 4);
    await new Promise((r) => setTimeout(r, 500));
    const all = await stack.client.messages(user.id);
    const notices = all.filter((m) => m.text!.startsWith('You are sending messages too fast'));
    expect(notices).to.have.length(1);
    expect(all.filter((m) => m.text!.startsWith('What I can do'))).to.have.length(3);
    expect(replies).to.have.length.at.least(4);
  });
});
