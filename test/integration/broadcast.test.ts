import { expect } from 'chai';
import { Stack } from '../support/stack';
import { scratchDatabase } from '../support/scratch-db';
import { waitFor } from '../support/wait';

const ADMIN = 5555;

/** /broadcast to every active user, with its own database so "every user" means the users made here. */
describe('broadcast', function () {
  this.timeout(90_000);
  let stack: Stack;
  let db: Awaited<ReturnType<typeof scratchDatabase>>;

  before(async () => {
    db = await scratchDatabase();
    // Telegram's global limit raised in the sandbox and in our pacer alike: this test is about the report.
    stack = await Stack.start({
      env: { DATABASE_URL: db.url, ADMIN_IDS: String(ADMIN), TELEGRAM_GLOBAL_RATE: '1000' },
      limits: { globalPerSecond: 1000, globalBurst: 1000 },
    });
  });
  after(async () => {
    await stack?.stop();
    await db?.drop();
  });

  it('reaches 1,000 users, reports sent / blocked correctly to the admin, and a later broadcast skips the blocked', async () => {
    await stack.client.createUser({ id: ADMIN, first_name: 'Admin' });
    const users = [];
    for (let i = 0; i < 1_000; i++) users.push(await stack.client.createUser());
    await stack.knex('users').insert(users.map((u) => ({ telegram_id: u.id, language: 'en' })));
    const blocked = users.slice(0, 10);
    for (const u of blocked) await stack.client.blockBot(u.id);

    await stack.client.sendText(ADMIN, '/broadcast Maintenance tonight at 23:00 UTC.');
    // The admin is an active user too: the broadcast itself, then the report.
    const [, report] = await stack.client.waitForMessages(ADMIN, 2, 60_000);
    expect(report!.text).to.equal('Broadcast finished: 991 sent, 10 blocked the bot or left, 0 failed — of 1001.');
    for (const u of users.slice(10)) {
      expect((await stack.client.messages(u.id)).map((m) => m.text), `user ${u.id}`).to.deep.equal(['Maintenance tonight at 23:00 UTC.']);
    }
    const statuses = await stack.knex('users').whereIn('telegram_id', blocked.map((u) => u.id)).pluck('status');
    expect(statuses).to.deep.equal(Array(10).fill('blocked_bot'));
    const [audit] = await stack.knex('audit_events').where({ actor: `user:${ADMIN}`, action: 'admin.broadcast' });
    expect(audit).to.not.equal(undefined);
    // The text is kept once (with the broadcast), not copied into each of the 1,001 jobs.
    const kept = await stack.workers!.deps.queues.get('notifications').getCompleted(0, 2_000);
    const fanned = kept.filter((j) => String(j.id).startsWith('bc-') && !String(j.id).startsWith('bc-report-'));
    expect(fanned.length).to.be.greaterThan(900);
    expect(fanned.filter((j) => JSON.stringify(j.data).includes('Maintenance'))).to.have.length(0);

    // Five users turn notifications off in /settings (the button itself is tested in billing.test.ts).
    const optedOut = users.slice(10, 15);
    await stack.knex('users').whereIn('telegram_id', optedOut.map((u) => u.id)).update({ notifications: false });
    const forbiddenBefore = (await stack.client.stats()).forbidden;
    await stack.client.sendText(ADMIN, '/broadcast Done.');
    await waitFor(async () => (await stack.client.messages(ADMIN)).length >= 4, 'second report', 60_000);
    const second = (await stack.client.messages(ADMIN)).at(-1)!;
    expect(second.text).to.equal('Broadcast finished: 986 sent, 0 blocked the bot or left, 0 failed — of 986.');
    expect((await stack.client.stats()).forbidden - forbiddenBefore, 'blocked users are not tried again').to.equal(0);
    for (const u of optedOut) expect((await stack.client.messages(u.id)).map((m) => m.text)).to.deep.equal(['Maintenance tonight at 23:00 UTC.']);
  });

  it('a non-admin /broadcast is refused in plain words and audited', async () => {
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/broadcast Free coins for all!');
    const [reply] = await stack.client.waitForMessages(user.id, 1);
    expect(reply!.text).to.equal('This command is for administrators only.');
    const [event] = await stack.knex('audit_events').where({ actor: `user:${user.id}`, action: 'admin.refused' });
    expect(event.subject).to.equal('command:broadcast');
  });
});
