import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { Stack } from '../support/stack';
import { sleep, waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface BotProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  acquiredAt?: number;
}

/** Two real `bot` processes (the Procfile's), so the leader can be killed with SIGKILL. */
describe('polling leader hand-over (two bot processes)', function () {
  this.timeout(60_000);
  let stack: Stack;
  const bots: BotProcess[] = [];

  before(async () => {
    stack = await Stack.start({ bot: false, env: { POLLING_LEASE_TTL_MS: '2000', RATE_LIMIT_BURST: '100' } });
  });
  after(async () => {
    for (const b of bots) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
    await stack?.stop();
  });

  function startBot(): BotProcess {
    // The bot never touches Postgres: a database that does not exist proves it.
    const env = stack.childEnv({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/never-used-by-the-bot',
      POLLING_LEASE_TTL_MS: '2000',
      POLLING_TIMEOUT_SECONDS: '1',
      RATE_LIMIT_BURST: '100',
      LOG_LEVEL: 'info',
    });
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/bot/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const bot: BotProcess = { child, lines: [] };
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          bot.lines.push(entry);
          // When the bot took the lease by its own clock (the log line's time), not when this busy process read the line.
          if (String(entry.message).startsWith('polling lease acquired')) bot.acquiredAt = Date.parse(String(entry.timestamp));
        } catch {
          /* not a log line */
        }
      }
    });
    bots.push(bot);
    return bot;
  }

  it('only one polls; after kill -9 the standby takes over once the lease lapses, losing and doubling nothing', async () => {
    const a = startBot();
    await waitFor(() => a.acquiredAt !== undefined, 'first bot leads', 10_000);
    const b = startBot();
    await waitFor(() => b.lines.some((l) => l.message === 'bot started'), 'second bot started', 10_000);
    await sleep(500);
    expect(b.acquiredAt, 'the standby must not poll while the leader lives').to.equal(undefined);

    // A steady stream of users, each sending one /help, across the kill.
    const users = await Promise.all(Array.from({ length: 30 }, () => stack.client.createUser()));
    const sending = (async () => {
      for (const u of users) {
        await stack.client.sendText(u.id, '/help');
        await sleep(100);
      }
    })();
    await sleep(1_000);
    a.child.kill('SIGKILL');
    // The killed leader released nothing: the standby leads once the lease lapses (within TTL + one check:
    // docs/INGRESS.md; a time, so not asserted here).
    await waitFor(() => b.acquiredAt !== undefined, 'standby takes over', 10_000);
    expect(a.lines.some((l) => l.message === 'polling lease released'), 'the killed leader released nothing').to.equal(false);
    await sending;

    for (const u of users) {
      const replies = await stack.client.waitForMessages(u.id, 1, 10_000);
      expect(replies[0]!.text).to.match(/^What I can do/);
    }
    await sleep(1_000);
    for (const u of users) expect(await stack.client.messages(u.id), `user ${u.id}: exactly one reply`).to.have.length(1);
    b.child.kill('SIGTERM');
    await new Promise((r) => b.child.once('exit', r));
    expect(b.lines.some((l) => l.message === 'polling lease released')).to.equal(true);
  });

  it('started while Telegram answers 502 and 429, a bot process waits for it instead of exiting, then answers', async () => {
    await stack.client.injectFault({ code: 502, methods: ['getMe'], times: 2 });
    await stack.client.injectFault({ code: 429, methods: ['getMe'], times: 1, retryAfter: 1 });
    const bot = startBot();
    const user = await stack.client.createUser();
    await stack.client.sendText(user.id, '/help');
    const [reply] = await stack.client.waitForMessages(user.id, 1, 20_000);
    expect(reply!.text).to.match(/^What I can do/);
    expect(bot.child.exitCode, 'the process did not exit').to.equal(null);
    expect(bot.lines.filter((l) => String(l.message).startsWith('getMe: Telegram is not reachable')), 'each refusal waited out').to.have.length(3);
    bot.child.kill('SIGTERM');
    await new Promise((r) => bot.child.once('exit', r));
  });
});
