import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createEnqueue } from '../../src/jobs/enqueue';
import { QueueRegistry } from '../../src/jobs/queues';
import { Lifecycle } from '../../src/observability/lifecycle';
import { sourceVersion } from '../../src/lib/version';
import type { SandboxMessage } from '../../src/sandbox/sandbox.client';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ADMIN = 4242;

/** Admins hear when processes start, stop and crash, on Telegram, through the notifications queue. */
describe('start, stop and crash notices', function () {
  this.timeout(90_000);
  let stack: Stack;
  const children: ChildProcess[] = [];
  const where = `on ${os.hostname()} · version ${sourceVersion()}`;

  before(async () => {
    // The sandbox, Redis and Postgres of a stack; the bot and the worker are real processes started below.
    stack = await Stack.start({ bot: false, workers: false, env: { ADMIN_IDS: String(ADMIN), ALERT_DELAY_MS: '1000' } });
    await stack.client.createUser({ id: ADMIN, first_name: 'Admin' });
    // The worker that delivers every notice (admin.alert, then message.send) in both tests.
    spawnMain('workers/main.js', ['--queues=billing,notifications']);
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await stack?.stop();
  });

  function spawnMain(script: string, args: string[] = []): ChildProcess {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', script), ...args], {
      cwd: ROOT,
      // The version this test computed, handed down (as a build does): a commit made while the test runs does not
      // make the children read another HEAD than the one in `where`.
      env: stack.childEnv({ ADMIN_IDS: String(ADMIN), ALERT_DELAY_MS: '1000', LOG_LEVEL: 'error', SOURCE_VERSION: sourceVersion() }),
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  }
  const adminSaw = async (re: RegExp, timeoutMs = 30_000): Promise<SandboxMessage> => {
    let found: SandboxMessage | undefined;
    await waitFor(async () => Boolean((found = (await stack.client.messages(ADMIN)).find((m) => re.test(m.text ?? '')))), `admin told ${re}`, timeoutMs);
    return found!;
  };
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('a worker and a bot process are announced when they start, and the bot when SIGTERM stops it', async () => {
    const bot = spawnMain('src/bot/main.js');
    const worker = await adminSaw(/worker \[billing,notifications\] started/);
    expect(worker.text).to.equal(`⚠️ lifecycle/worker [billing,notifications]\nworker [billing,notifications] started ${where}\n${worker.text!.split('\n')[2]}`);
    expect(worker.text!.split('\n')[2]).to.match(/^×1 since \d{4}-/);
    await adminSaw(new RegExp(`^⚠️ lifecycle/bot\\nbot started ${escape(where)}\\n×1 since`));
    bot.kill('SIGTERM');
    await new Promise((r) => bot.once('exit', r));
    expect(bot.exitCode).to.equal(0);
    await adminSaw(new RegExp(`bot stopped ${escape(where)}: SIGTERM`));
  });

  it('a crash loop is folded: five crashes and restarts in a minute are one notice of each with ×5', async () => {
    // What each restarted process of a crash loop reports, through the same alerts and the running worker.
    const queues = new QueueRegistry(stack.redis, stack.config.QUEUE_PREFIX);
    const lifecycle = new Lifecycle(stack.redis, stack.config.QUEUE_PREFIX, createEnqueue(queues), 'web', stack.config, stack.log);
    for (let i = 0; i < 5; i++) {
      await lifecycle.crashed(new Error(`listen EADDRINUSE: address already in use :::3000\n    at Server.setupListenHandle`));
      await lifecycle.started();
    }
    const crashed = await adminSaw(/web crashed/);
    expect(crashed.text).to.include(`web crashed ${where}: listen EADDRINUSE: address already in use :::3000`).and.include('×5 since').and.not.include('setupListenHandle');
    const started = await adminSaw(/web started/);
    expect(started.text).to.include('×5 since');
    await new Promise((r) => setTimeout(r, 2_000));
    const all = (await stack.client.messages(ADMIN)).filter((m) => /^⚠️ lifecycle\/web/.test(m.text ?? ''));
    expect(all).to.have.length(2);
    await queues.close();
  });
});
