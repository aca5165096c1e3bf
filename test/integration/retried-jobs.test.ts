import { Worker } from 'bullmq';
import { queuePrefix } from '../../src/lib/redis';
import { expect } from 'chai';
import { accountHandlers } from '../../src/domain/accounts/account.handlers';
import type { WorkerDeps } from '../../src/jobs/handler.types';
import { Stack } from '../support/stack';

/**
 * A job whose process died half-way (SIGKILL after some of its writes) runs again on another worker. The retry
 * must answer as the first run would have: found in the fault suite, where a killed `/start` came back as
 * "Welcome back!" without the bonus line to a user who had never been there.
 */
describe('a job retried after its process died half-way', function () {
  this.timeout(60_000);
  let stack: Stack;
  let taker: Worker;
  before(async () => {
    // Notifications are worked (the reply reaches the sandbox); interactive jobs are taken by the test, as a worker would.
    stack = await Stack.start({ bot: false, env: { WORKER_QUEUES: 'notifications', WELCOME_BONUS: '30' } });
    taker = new Worker('interactive', null, { connection: stack.redis, prefix: queuePrefix(stack.redis, stack.config.QUEUE_PREFIX, 'interactive') });
  });
  after(async () => {
    await taker?.close();
    await stack?.stop();
  });

  it('/start: the first run registered the user and posted the bonus, then died; the retry says the first-time welcome with the bonus', async () => {
    const deps = stack.workers!.deps;
    const user = await stack.client.createUser({ first_name: 'New', language_code: 'en' });
    const actor = { telegramId: user.id, chatId: user.id, languageCode: 'en' };
    await deps.enqueue('account.register', { actor, updateId: 4242 }, { jobId: 'update-4242' });
    const job = (await taker.getNextJob('first-run'))!;
    // The first run: the runner registers the user, the handler writes the audit event and the bonus; the process
    // is killed before the reply is queued.
    const first = await deps.users.ensure(actor);
    expect(first.created).to.equal(true);
    const killed: WorkerDeps = { ...deps, enqueue: (async () => Promise.reject(new Error('SIGKILL'))) as WorkerDeps['enqueue'] };
    const died = await accountHandlers(killed)['account.register']({ actor, updateId: 4242 }, { job, log: stack.log, user: first.user, userCreated: true }).catch((e: Error) => e);
    expect(died).to.be.instanceOf(Error);
    // The retry, on another worker: the user exists now.
    const again = await deps.users.ensure(actor);
    expect(again.created).to.equal(false);
    await accountHandlers(deps)['account.register']({ actor, updateId: 4242 }, { job, log: stack.log, user: again.user, userCreated: false });
    const [welcome] = await stack.client.waitForMessages(user.id, 1, 10_000);
    expect(welcome!.text).to.match(/^Welcome to Switchyard/);
    expect(welcome!.text).to.include('You got 30 coins to start with');
    const balance = await stack.knex('balances').where({ user_id: first.user.id }).first();
    expect(Number(balance.coins), 'the bonus once').to.equal(30);
  });

  it('a second /start later (another job) is "welcome back", without the bonus', async () => {
    const deps = stack.workers!.deps;
    const user = await stack.client.createUser({ first_name: 'Old', language_code: 'en' });
    const actor = { telegramId: user.id, chatId: user.id, languageCode: 'en' };
    for (const updateId of [5151, 5152]) {
      await deps.enqueue('account.register', { actor, updateId }, { jobId: `update-${updateId}` });
      const job = (await taker.getNextJob(`run-${updateId}`))!;
      const ensured = await deps.users.ensure(actor);
      await accountHandlers(deps)['account.register']({ actor, updateId }, { job, log: stack.log, user: ensured.user, userCreated: ensured.created });
    }
    const replies = await stack.client.waitForMessages(user.id, 2, 10_000);
    expect(replies[0]!.text).to.match(/^Welcome to Switchyard/);
    expect(replies[1]!.text).to.equal('Welcome back! Send /help to see what I can do.');
  });
});
