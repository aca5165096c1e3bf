import { expect } from 'chai';
import sharp from 'sharp';
import { Stack } from '../support/stack';
import { OwnRedis } from '../support/own-redis';
import { waitFor } from '../support/wait';

/**
 * Dialog state that survives Redis: every transition is mirrored to Postgres, and after a real FLUSHALL of this
 * test's own Redis the bot has the user's state put back before it routes the next update.
 */
describe('dialog state survives a Redis flush', function () {
  this.timeout(90_000);
  let own: OwnRedis;
  let stack: Stack;

  before(async () => {
    own = await OwnRedis.start();
    stack = await Stack.start({ env: { REDIS_URL: own.url }, limits: { enabled: false } });
  });
  after(async () => {
    await stack?.stop();
    await own?.destroy();
  });

  const botId = () => stack.bot!.runtime.bot.botInfo!.id;
  const mirrored = (userId: number) => stack.knex('dialog_states').where({ bot_id: botId(), chat_id: userId, telegram_id: userId }).first();
  const restores = async () => (await stack.bot!.runtime.queues.get('interactive').getJobs(['completed', 'active', 'waiting', 'prioritized'])).filter((j) => j.name === 'dialog.restore').length;

  it('in the middle of /feedback: the next text still reaches the team, and the mirror follows the dialog', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/feedback');
    const [prompt] = await stack.client.waitForMessages(user.id, 1);
    expect(prompt!.text).to.match(/^Write your feedback/);
    await waitFor(async () => (await mirrored(user.id))?.state?.name === 'feedback.awaiting_text', 'the transition in Postgres');
    // Nothing was lost yet: no miss was sent to Postgres.
    expect(await restores()).to.equal(0);

    await stack.redis.flushall();
    await stack.client.sendText(user.id, 'Please add a dark mode');
    const replies = await stack.client.waitForMessages(user.id, 2, 20_000);
    expect(replies[1]!.text).to.equal('Thank you! Your feedback reached the team.');
    await waitFor(async () => (await mirrored(user.id))?.state === null, 'the end of the dialog in Postgres');
    expect(await restores()).to.be.at.least(1);
  });

  it('in the middle of a paid avatar: the style button after the flush makes the avatar, charged once', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/start');
    await stack.client.waitForMessages(user.id, 1);
    const before = await stack.balanceOf(user.id);
    const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3366cc' } }).jpeg().toBuffer();
    const sent = await stack.client.sendPhoto(user.id, photo, { width: 320, height: 240 });
    const [, offer] = await stack.client.waitForMessages(user.id, 2, 20_000);
    expect(offer!.text).to.match(/^Which style\?/);
    await waitFor(async () => (await mirrored(user.id))?.state?.name === 'avatar.source', 'the source in Postgres');

    await stack.redis.flushall();
    await stack.client.pressButton(user.id, offer!.message_id, `avatar:style:${sent.message!.message_id}:circle`);
    await waitFor(async () => (await stack.client.messages(user.id)).some((m) => /Your avatar is ready/.test(m.caption ?? '')), 'the avatar', 30_000);
    const texts = (await stack.client.messages(user.id)).map((m) => m.text ?? m.caption ?? '');
    expect(texts).to.not.include('That choice has expired. Please send the photo again.');
    await waitFor(async () => (await stack.balanceOf(user.id)) === before - 20, 'one charge');
    const holds = await stack.knex('holds').join('users', 'users.id', 'holds.user_id').where({ 'users.telegram_id': user.id, 'holds.status': 'captured' });
    expect(holds).to.have.length(1);
  });
});
