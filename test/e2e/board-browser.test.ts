import { existsSync } from 'node:fs';
import { UnrecoverableError, Worker } from 'bullmq';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { chromium, type Browser } from 'playwright-core';
import { createKnex } from '../../src/db/knex';
import { QueueRegistry } from '../../src/jobs/queues';
import { deleteKeysWithPrefix } from '../../src/lib/redis';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniquePrefix } from '../support/env';
import { waitFor } from '../support/wait';
import { startWeb, type RunningWeb } from '../support/web-server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const operator = { user: `operator-${uniquePrefix()}`, password: 'operator password', role: 'operator' as const };
const viewer = { user: `viewer-${uniquePrefix()}`, password: 'viewer password', role: 'viewer' as const };
// The job card's own retry button (Bull Board 9.10, pinned): an icon button with the refresh icon.
const JOB_RETRY = '[class*="jobActions"] button:has(svg.lucide-refresh-cw)';

/** Bull Board as an operator and a viewer see it, in Debian's Chromium driven by playwright-core. */
describe('Bull Board in a real browser', function () {
  this.timeout(60_000);
  let browser: Browser;
  let web: RunningWeb;
  let url: string;
  let redis: Redis;
  let knex: Knex;
  let queues: QueueRegistry;
  const prefix = uniquePrefix();

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    knex = createKnex(TEST_DATABASE_URL, { max: 2 });
    queues = new QueueRegistry(redis, prefix);
    web = await startWeb({ redis, knex, queues, board: [operator, viewer] });
    url = web.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
  });
  after(async () => {
    await browser?.close();
    await web?.close();
    await queues?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis?.quit();
    await knex?.destroy();
  });

  async function failedJob(): Promise<string> {
    const job = await queues.get('interactive').add('account.reply', { broken: true }, { attempts: 1 });
    const worker = new Worker('interactive', async () => {
      throw new UnrecoverableError('invalid payload for account.reply');
    }, { connection: redis, prefix });
    await waitFor(async () => (await job.getState()) === 'failed', 'job failed');
    await worker.close();
    return job.id!;
  }

  it('the operator logs in, sees the queues, retries a failed job, and the retry is audited', async () => {
    const jobId = await failedJob();
    const context = await browser.newContext({ httpCredentials: { username: operator.user, password: operator.password } });
    const page = await context.newPage();
    await page.goto(`${url}/admin/queues`);
    for (const name of ['interactive', 'billing', 'notifications', 'transcripts', 'avatars', 'backups']) {
      await page.getByRole('link', { name, exact: true }).first().waitFor();
    }
    await page.goto(`${url}/admin/queues/queue/interactive?status=failed`);
    await page.locator(JOB_RETRY).first().click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    const job = await queues.get('interactive').getJob(jobId);
    await waitFor(async () => (await job!.getState()) === 'waiting', 'job back in waiting', 10_000);
    await waitFor(async () => (await knex('audit_events').where({ actor: `operator:${operator.user}`, action: 'board.retry' })).length > 0, 'audit row');
    const [event] = await knex('audit_events').where({ actor: `operator:${operator.user}`, action: 'board.retry' });
    expect(event.subject).to.equal(`queue:interactive/job:${jobId}`);
    await context.close();
  });

  it('the viewer sees a read-only board, and the server refuses a retry sent anyway', async () => {
    const jobId = await failedJob();
    const context = await browser.newContext({ httpCredentials: { username: viewer.user, password: viewer.password } });
    const page = await context.newPage();
    await page.goto(`${url}/admin/queues/queue/interactive?status=failed`);
    await page.getByText('account.reply').first().waitFor();
    expect(await page.locator(JOB_RETRY).count()).to.equal(0);
    // The page hides the button; a request crafted in the same logged-in browser must still fail.
    const status = await page.evaluate(
      async (path) => (await fetch(path, { method: 'PUT' })).status,
      `/admin/queues/api/queues/interactive/${jobId}/retry/failed`,
    );
    expect(status).to.equal(403);
    const job = await queues.get('interactive').getJob(jobId);
    expect(await job!.getState()).to.equal('failed');
    await context.close();
  });
});
