import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import winston from 'winston';
import { createLogger } from '../../src/lib/logger';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

type Line = Record<string, unknown> & { message: string };

/**
 * Transition logs (docs/OBSERVABILITY.md): every dialog transition and every job state change is one JSON line
 * with the update, job and user ids and from → to, read back here from what the logger wrote.
 */
describe('state-transition logs', function () {
  this.timeout(60_000);
  let stack: Stack;
  const lines: Line[] = [];

  before(async () => {
    // The stack's one logger at info, console off, with a stream that keeps every JSON line it writes.
    const log = createLogger({ level: 'info', service: 'test', silent: true });
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
    });
    log.add(new winston.transports.Stream({ stream }));
    stack = await Stack.start({ log, limits: { enabled: false } });
  });
  after(() => stack?.stop());

  const jobStates = (jobId: string) => lines.filter((l) => l.message === 'job state' && l.job_id === jobId).map((l) => `${l.from} → ${l.to}`);

  it('a dialog: each transition is a line with its update, user and from → to; each job a line per state', async () => {
    const user = await stack.client.createUser();
    const first = await stack.client.sendText(user.id, '/feedback');
    await stack.client.waitForMessages(user.id, 1);
    const second = await stack.client.sendText(user.id, 'More dark themes, please');
    await stack.client.waitForMessages(user.id, 2);

    const dialog = lines.filter((l) => l.message === 'dialog transition' && l.user_id === user.id);
    expect(dialog.map((l) => [l.update_id, l.from, l.to])).to.deep.equal([
      [first.update_id, null, 'feedback.awaiting_text'],
      [second.update_id, 'feedback.awaiting_text', null],
    ]);
    expect(dialog[0]).to.include({ chat_id: user.id, level: 'info', service: 'test' });

    // The prompt's job, from the first update: queued, taken, done, with the ids that tie it to the update.
    const jobId = `update-${first.update_id}`;
    await waitFor(() => jobStates(jobId).includes('active → completed'), 'the job completed line');
    expect(jobStates(jobId)).to.deep.equal(['waiting → active', 'active → completed']);
    const taken = lines.find((l) => l.message === 'job state' && l.job_id === jobId)!;
    expect(taken).to.include({ update_id: first.update_id, user_id: user.id, job: 'account.reply', queue: 'interactive', attempt: 1 });
  });

  it('a send Telegram answers 502 once: active → delayed (the outage rule) → active → completed; a broken job: active → failed', async () => {
    const user = await stack.client.createUser();
    await stack.client.injectFault({ code: 502, methods: ['sendMessage'], times: 1 });
    const update = await stack.client.sendText(user.id, '/help');
    await stack.client.waitForMessages(user.id, 1, 20_000);
    const sends = () => lines.filter((l) => l.message === 'job state' && l.job === 'message.send' && l.update_id === update.update_id);
    await waitFor(() => sends().some((l) => l.to === 'completed'), 'the reply job completed', 20_000);
    expect(sends().map((l) => `${l.from} → ${l.to}`)).to.deep.equal(['waiting → active', 'active → delayed', 'delayed → active', 'active → completed']);
    expect(sends()[1]).to.include({ reason: 'outage', user_id: user.id });

    const broken = await stack.bot!.runtime.queues.get('interactive').add('account.reply', { broken: true }, { attempts: 1, jobId: `broken-${user.id}` });
    await waitFor(() => jobStates(broken.id!).includes('active → failed'), 'the failed line');
    const failed = lines.find((l) => l.message === 'job state' && l.job_id === broken.id && l.to === 'failed')!;
    expect(failed.error).to.match(/invalid payload for account\.reply/);
  });
});
