import { spawn, type ChildProcess } from 'node:child_process';
import { queuePrefix } from '../../src/lib/redis';
import path from 'node:path';
import { Queue } from 'bullmq';
import { expect } from 'chai';
import sharp from 'sharp';
import { startWorkerProcess } from '../../workers/worker-process';
import { workerDefinitions } from '../../workers';
import { Stack } from '../support/stack';
import { chooseStyle, nextMessage } from '../support/chat';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LOCK_MS = 2_000;

/**
 * A real `worker` process (the Procfile's) is killed with SIGKILL after it held a user's coins and before it could
 * capture them. After recovery the hold is captured (the job resumed elsewhere) or released (the job is gone and
 * the sweep ran): never both, never neither, and the ledger still sums to the balance.
 */
describe('a worker killed between hold and capture', function () {
  this.timeout(60_000);
  let stack: Stack;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    stack = await Stack.start({ workers: false, env: { JOB_LOCK_MS: String(LOCK_MS), WELCOME_BONUS: '30', PRICE_AVATAR: '20' }, limits: { enabled: false } });
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stack?.stop();
  });

  function startWorkerChild(): ChildProcess {
    const env = stack.childEnv({ JOB_LOCK_MS: String(LOCK_MS), WELCOME_BONUS: '30', PRICE_AVATAR: '20', LOG_LEVEL: 'error' });
    return spawn(process.execPath, [path.join(ROOT, 'dist/workers/main.js')], { cwd: ROOT, env, stdio: 'ignore' });
  }

  /** Registers a user through the child worker, sends a photo whose download hangs, kills the child once coins are held. */
  async function killMidJob(): Promise<{ userId: number; key: string }> {
    child = startWorkerChild();
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/start');
    await stack.client.waitForMessages(user.id, 1, 15_000);
    await stack.client.setFileDelay(30_000);
    const photo = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#22aa55' } }).jpeg().toBuffer();
    const { messageId } = await chooseStyle(stack.client, user.id, () => stack.client.sendPhoto(user.id, photo, { width: 400, height: 300 }));
    const key = `avatar:${user.id}:${messageId}:square`;
    await waitFor(async () => (await stack.knex('holds').where({ key, status: 'held' })).length === 1, 'coins held', 10_000);
    await waitFor(async () => (await stack.client.stats()).fileDownloads > 0, 'download started', 10_000);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await stack.client.setFileDelay(0);
    return { userId: user.id, key };
  }

  const entriesOf = (key: string) => stack.knex('ledger_entries').where({ reference: key }).orderBy('id').pluck('kind');
  const balanceAndSum = async (telegramId: number) => {
    const { id } = await stack.user(telegramId);
    const balance = Number((await stack.knex('balances').where({ user_id: id }).first())?.coins);
    const sum = Number((await stack.knex('ledger_entries').where({ user_id: id }).sum({ s: 'amount' }).first())?.s);
    return { balance, sum };
  };

  it('the job resumes on another worker once its lock lapses: the same hold is captured, the avatar sent once', async () => {
    const { userId, key } = await killMidJob();
    expect(await balanceAndSum(userId)).to.deep.equal({ balance: 10, sum: 10 });
    // Another worker process (in this test process) takes the stalled job over.
    stack.workers = await startWorkerProcess(stack.config, workerDefinitions, stack.log);
    const sent = await nextMessage(stack.client, userId, 0, (m) => !!m.photo, 20_000);
    expect(sent.caption).to.equal('Your avatar is ready: 20 coins were charged.');
    expect(await stack.knex('holds').where({ key }).pluck('status')).to.deep.equal(['captured']);
    expect(await entriesOf(key)).to.deep.equal(['hold', 'capture']);
    expect(await balanceAndSum(userId)).to.deep.equal({ balance: 10, sum: 10 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await stack.client.messages(userId)).filter((m) => m.photo)).to.have.length(1);
  });

  it('the job is gone (an operator removed it): the sweep releases the hold and the coins come back', async () => {
    const { userId, key } = await killMidJob();
    const hold = await stack.knex('holds').where({ key }).first();
    const queue = new Queue('avatars', { connection: stack.redis, prefix: queuePrefix(stack.redis, stack.config.QUEUE_PREFIX, 'avatars') });
    // The dead worker's lock lapses; then the job can be removed (as from Bull Board).
    await waitFor(async () => (await queue.getJob(hold.job_id))?.remove().then(() => true, () => false) ?? true, 'job removed', 10_000);
    await queue.close();
    await stack.knex('holds').where({ key }).update({ created_at: stack.knex.raw("now() - interval '1 hour'") });
    stack.workers = await startWorkerProcess(stack.config, workerDefinitions, stack.log);
    // The scheduler runs the sweep at start; run one more to be sure it has seen the backdated hold.
    await stack.workers.deps.queues.get('billing').add('billing.sweep', {});
    await waitFor(async () => (await stack.knex('holds').where({ key }).first()).status !== 'held', 'hold settled', 10_000);
    expect(await stack.knex('holds').where({ key }).pluck('status')).to.deep.equal(['released']);
    expect(await entriesOf(key)).to.deep.equal(['hold', 'release']);
    expect(await balanceAndSum(userId)).to.deep.equal({ balance: 30, sum: 30 });
    const events = await stack.knex('audit_events').where({ action: 'hold.released', subject: key });
    expect(events).to.have.length(1);
  });
});
