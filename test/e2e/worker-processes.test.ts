import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The worker processes a supervisor runs now (its children, read from /proc). */
function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/**
 * WORKER_PROCESSES=2: one `worker` command runs two worker processes on the same queues (the box's two cores), keeps
 * them running, and leaves none behind.
 */
describe('WORKER_PROCESSES: one worker command, several processes', function () {
  this.timeout(90_000);
  let stack: Stack;
  let supervisor: ChildProcess | undefined;
  let output = '';
  const orphans = new Set<number>();

  beforeEach(async () => {
    stack = await Stack.start({ workers: false, limits: { enabled: false } });
    output = '';
    supervisor = spawn(process.execPath, [path.join(ROOT, 'dist/workers/main.js'), '--queues=all,-avatars,-transcripts,-backups'], {
      cwd: ROOT,
      env: stack.childEnv({ WORKER_PROCESSES: '2', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '3000' }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    supervisor.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(async () => (output.match(/"message":"workers started"/g) ?? []).length >= 2, 'two worker processes started', 30_000);
    for (const pid of childrenOf(supervisor.pid!)) orphans.add(pid);
  });
  afterEach(async () => {
    if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) supervisor.kill('SIGKILL');
    for (const pid of orphans) if (alive(pid)) process.kill(pid, 'SIGKILL');
    orphans.clear();
    await stack?.stop();
  });

  const answered = async (count: number) => {
    const users = await Promise.all(Array.from({ length: count }, () => stack.client.createUser()));
    await Promise.all(users.map((u) => stack.client.sendText(u.id, '/help')));
    for (const u of users) expect((await stack.client.waitForMessages(u.id, 1, 20_000))[0]!.text).to.be.a('string').and.not.equal('');
  };

  it('runs two processes on the queues, answers every user, and after one is killed starts it again and still answers', async () => {
    const first = childrenOf(supervisor!.pid!);
    expect(first).to.have.length(2);
    await answered(20);
    process.kill(first[0]!, 'SIGKILL');
    await waitFor(async () => childrenOf(supervisor!.pid!).length === 2 && !childrenOf(supervisor!.pid!).includes(first[0]!), 'the killed process replaced', 20_000);
    for (const pid of childrenOf(supervisor!.pid!)) orphans.add(pid);
    expect(output).to.match(/"message":"worker process exited; starting it again"/);
    await answered(10);
  });

  it('SIGTERM stops both processes cleanly and the supervisor exits 0', async () => {
    const kids = childrenOf(supervisor!.pid!);
    const exited = new Promise<number | null>((r) => supervisor!.once('exit', (code) => r(code)));
    supervisor!.kill('SIGTERM');
    expect(await exited).to.equal(0);
    for (const pid of kids) expect(alive(pid), `worker process ${pid}`).to.equal(false);
    expect((output.match(/"message":"stopped cleanly"/g) ?? []).length).to.equal(2);
  });

  it('a supervisor killed outright (SIGKILL) leaves no orphan: its processes stop on their own', async () => {
    const kids = childrenOf(supervisor!.pid!);
    supervisor!.kill('SIGKILL');
    await waitFor(async () => kids.every((pid) => !alive(pid)), 'the orphaned processes stopped', 20_000);
    expect(kids.filter(alive)).to.deep.equal([]);
  });
});
