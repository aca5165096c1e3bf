import { expect } from 'chai';
import fc from 'fast-check';
import type { Job } from 'bullmq';
import { createBotRuntime, type BotRuntime } from '../../src/bot/bot-runtime';
import { QUEUE_NAMES } from '../../src/config';
import { catalogue, JOB_NAMES, type JobName } from '../../src/jobs/catalogue';
import { parsePayload, PayloadError } from '../../src/jobs/enqueue';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';
import { startWeb, type RunningWeb } from '../support/web-server';
import { botUpdate, garbageJson, type FuzzUpdate } from './fuzz.arbitraries';

/**
 * Fuzzing (issue #15, docs/RELIABILITY.md): random but well-formed Bot API updates into both ingresses (polling
 * through the sandbox, the webhook over HTTP), random JSON at the webhook, random payloads for every catalogue job.
 * Nothing may crash or retry in a loop; a user's message gets a clear reply, a button or a payment query a clean
 * drop; every account's coins stay exact. FAULTS_PROFILE=full runs many more cases.
 */
const FULL = process.env.FAULTS_PROFILE === 'full';
const RUNS = Number(process.env.FUZZ_RUNS ?? (FULL ? 300 : 40));
const BONUS = 30;
const SECRET = 'fuzz-hook-secret';

describe(`fuzzing the ingress and the jobs (${RUNS} runs)`, function () {
  this.timeout(FULL ? 1_800_000 : 600_000);
  let stack: Stack;
  let hook: BotRuntime;
  let web: RunningWeb;
  // Webhook update ids far above the sandbox's own (they share the bot's dedupe keys).
  let nextHookId = 700_000_000 + Math.floor(Math.random() * 100_000_000);

  before(async () => {
    stack = await Stack.start({ env: { WELCOME_BONUS: String(BONUS), RATE_LIMIT_BURST: '1000', JOB_LOCK_MS: '5000', ALERT_DELAY_MS: '0' }, limits: { enabled: false } });
    hook = await createBotRuntime(stack.config, stack.log);
    web = await startWeb({ redis: hook.redis, knex: stack.knex, queues: hook.queues, board: [], webhook: { ingress: hook.ingress, secret: SECRET } });
  });
  after(async () => {
    await web?.close();
    await hook?.close();
    await stack?.stop();
  });

  const postHook = (body: unknown, secret = SECRET) =>
    fetch(`${web.url}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  /** Every queue's failed jobs. */
  async function failedJobs(): Promise<Job[]> {
    const out: Job[] = [];
    for (const name of QUEUE_NAMES) out.push(...(await hook.queues.get(name).getFailed(0, 1_000)));
    return out;
  }

  /** Nothing waiting or running, and no delayed job beyond the schedulers' own, for 1 s on end. */
  async function settle(): Promise<void> {
    let calmSince: number | undefined;
    await waitFor(async () => {
      const pending = (await stack.client.stats()).pendingUpdates;
      let busy = pending;
      for (const name of QUEUE_NAMES) {
        const c = await hook.queues.get(name).getJobCounts('active', 'waiting', 'prioritized', 'delayed');
        const schedulers = await hook.queues.get(name).getJobSchedulersCount();
        busy += c.active! + c.waiting! + c.prioritized! + Math.max(0, c.delayed! - schedulers);
      }
      if (busy) calmSince = undefined;
      else calmSince ??= Date.now();
      return calmSince !== undefined && Date.now() - calmSince > 1_000;
    }, 'the platform to settle', 120_000);
  }

  it('random Bot API updates into polling and the webhook: no crash, no retry storm, a reply to every message, coins exact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ update: botUpdate, viaWebhook: fc.boolean() }), { minLength: 1, maxLength: 6 }), async (batch) => {
        const sent: { userId: number; kind: FuzzUpdate['kind']; status?: number }[] = [];
        for (const { update, viaWebhook } of batch) {
          const user = await stack.client.createUser({ first_name: 'Fuzz', language_code: update.lang });
          const body = update.build(user.id);
          if (viaWebhook) {
            const res = await postHook({ ...body, update_id: nextHookId++ });
            sent.push({ userId: user.id, kind: update.kind, status: res.status });
          } else {
            await stack.client.injectUpdate(body);
            sent.push({ userId: user.id, kind: update.kind });
          }
        }
        await settle();
        const problems: string[] = [];
        for (const s of sent) {
          if (s.status !== undefined && s.status !== 200) problems.push(`webhook answered ${s.status} to a ${s.kind}`);
          const replies = await stack.client.messages(s.userId);
          // A message is answered (what it was, or why not); a button press or a payment query may be a clean drop.
          if (s.kind === 'message' && replies.length === 0) problems.push(`user ${s.userId}: no reply to a ${s.kind}`);
          const user = await stack.knex('users').where({ telegram_id: s.userId }).first();
          if (!user) continue;
          const balance = Number((await stack.knex('balances').where({ user_id: user.id }).first())?.coins ?? 0);
          const sum = Number((await stack.knex('ledger_entries').where({ user_id: user.id }).sum({ s: 'amount' }).first())?.s ?? 0);
          const held = await stack.knex('holds').where({ user_id: user.id, status: 'held' }).count<{ n: string }[]>({ n: '*' }).first();
          if (balance !== sum || balance < 0 || Number(held?.n) > 0) problems.push(`user ${s.userId}: balance ${balance}, ledger ${sum}, open holds ${held?.n}`);
        }
        // A job that can never succeed fails at once (unrecoverable): none spent a second attempt.
        for (const job of await failedJobs()) if (job.attemptsMade > 1) problems.push(`${job.name} failed after ${job.attemptsMade} attempts: ${job.failedReason}`);
        expect(problems, problems.join('\n')).to.deep.equal([]);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  it('random JSON at the webhook: 400 or 200, never 5xx, and the ingress goes on working', async () => {
    await fc.assert(
      fc.asyncProperty(garbageJson, async (body) => {
        const res = await postHook(body);
        expect(res.status, `body ${body.slice(0, 200)}`).to.be.oneOf([200, 400, 413]);
      }),
      { numRuns: RUNS * 10 },
    );
    // Still alive and answering: a real update after the garbage.
    const user = await stack.client.createUser({ first_name: 'After' });
    const res = await postHook({ update_id: nextHookId++, message: { message_id: 1, date: 1, chat: { id: user.id, type: 'private' }, from: { id: user.id, is_bot: false, first_name: 'After' }, text: '/help', entities: [{ type: 'bot_command', offset: 0, length: 5 }] } });
    expect(res.status).to.equal(200);
    expect((await stack.client.waitForMessages(user.id, 1, 20_000))[0]!.text).to.match(/^What I can do/);
  });

  it('random payloads for every catalogue job: refused by enqueue with a PayloadError, or valid; never another error', () => {
    for (const name of JOB_NAMES) {
      fc.assert(
        fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true }), (payload) => {
          try {
            parsePayload(name, payload);
          } catch (err) {
            if (!(err instanceof PayloadError)) throw new Error(`${name}: ${(err as Error).name}: ${(err as Error).message}`);
          }
        }),
        { numRuns: RUNS * 20 },
      );
    }
  });

  it('a job added by hand with a payload its schema refuses (Bull Board "add job") fails at once, unrecoverable, no retry', async () => {
    const refused = (name: JobName) => fc.sample(fc.jsonValue().filter((v) => {
      try {
        parsePayload(name, v);
        return false;
      } catch {
        return true;
      }
    }), 3);
    const added: Job[] = [];
    for (const name of JOB_NAMES) {
      for (const data of refused(name)) added.push(await hook.queues.get(catalogue[name].queue).add(name, data, { attempts: 5, backoff: { type: 'fixed', delay: 1_000 } }));
    }
    await settle();
    for (const job of added) {
      const now = await hook.queues.get(job.queueName as never).getJob(job.id!);
      expect(await now!.getState(), `${job.name} ${JSON.stringify(job.data)}`).to.equal('failed');
      expect(now!.attemptsMade, `${job.name}: one attempt, not five`).to.equal(1);
      expect(now!.failedReason).to.match(/payload|invalid|expected|required/i);
    }
  });
});
