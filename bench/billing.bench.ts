import http from 'node:http';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createKnex, ensureDatabase, migrateLatest } from '../src/db/knex';
import { connectRedis, createRedis, deleteKeysWithPrefix } from '../src/lib/redis';
import { HoldsRepository } from '../src/repositories/holds.repository';
import { LedgerRepository } from '../src/repositories/ledger.repository';
import type { SandboxMessage } from '../src/sandbox/sandbox.types';
import { startDeployment } from './deployment';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL, percentile } from './support';

const CONCURRENCY = 50;
const ACCOUNTS = 50;
const CHARGES = Number(process.env.BENCH_CHARGES ?? 5_000);
const PRICE = 3;

/** Runs `count` jobs through a fresh queue with a BullMQ Worker of CONCURRENCY; returns jobs/s. */
async function jobsPerSecond(prefix: string, jobs: { name: string; data: object }[], processor: (data: { userId: number; key: string }) => Promise<unknown>): Promise<number> {
  const producer = await connectRedis(createRedis(BENCH_REDIS_URL, 'producer'));
  const conn = await connectRedis(createRedis(BENCH_REDIS_URL, 'worker'));
  const queue = new Queue('avatars', { connection: producer, prefix });
  for (let i = 0; i < jobs.length; i += 1_000) await queue.addBulk(jobs.slice(i, i + 1_000));
  const worker = new Worker('avatars', (job) => processor(job.data), { connection: conn, prefix, concurrency: CONCURRENCY, autorun: false });
  let done = 0;
  const finished = new Promise<void>((resolve, reject) => {
    worker.on('completed', () => ++done === jobs.length && resolve());
    worker.on('failed', (_job, err) => reject(err));
  });
  const started = process.hrtime.bigint();
  void worker.run();
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.close();
  await queue.close();
  await Promise.all([producer.quit(), conn.quit()]);
  return jobs.length / seconds;
}

/**
 * Charges per second: CHARGES paid jobs (hold, then capture: two transactions under the balance row's lock) over
 * 50 accounts, run by a BullMQ Worker at concurrency 50; one job in ten is a duplicate (a retry, a re-delivery) that
 * must charge nothing. Baseline in the same run: the same Worker doing the bare minimum a charge needs, one
 * `UPDATE balances SET coins = coins - n WHERE coins >= n` (no ledger, no idempotency).
 */
export async function benchCharges(): Promise<{ ours: number; raw: number; ratio: number; charges: number; doubleCharges: number; sumsMatch: boolean }> {
  await ensureDatabase(BENCH_DATABASE_URL);
  const knex = createKnex(BENCH_DATABASE_URL, { max: CONCURRENCY });
  await migrateLatest(knex);
  const ledger = new LedgerRepository(knex);
  const holds = new HoldsRepository(knex, ledger);
  const run = `${Date.now()}`;
  const base = 800_000_000 + (Date.now() % 100_000_000);
  const userIds: number[] = (await knex('users').insert(Array.from({ length: ACCOUNTS }, (_, i) => ({ telegram_id: base + i }))).returning('id')).map((r: { id: number }) => r.id);
  for (const userId of userIds) await ledger.post({ userId, kind: 'grant', amount: 10_000_000, idempotencyKey: `bench:grant:${run}:${userId}` });
  const jobs = Array.from({ length: CHARGES }, (_, i) => ({ name: 'charge', data: { userId: userIds[i % ACCOUNTS]!, key: `bench:${run}:${i}` } }));
  // One in ten again, with the same key: each must find its hold and charge nothing.
  const withDuplicates = jobs.flatMap((j, i) => (i % 10 === 0 ? [j, { ...j }] : [j]));
  const prefix = `bench-charges-${process.pid}`;
  const redis = new Redis(BENCH_REDIS_URL);
  try {
    const ours = await jobsPerSecond(`${prefix}-ours`, withDuplicates, async ({ userId, key }) => {
      const held = await holds.hold({ userId, key, service: 'avatar', amount: PRICE, queue: 'avatars', jobId: key });
      if (held.status === 'held') await holds.settle(key, 'captured');
    });
    const raw = await jobsPerSecond(`${prefix}-raw`, withDuplicates, ({ userId }) =>
      knex.raw('UPDATE balances SET coins = coins - ? WHERE user_id = ? AND coins >= ?', [PRICE, userId, PRICE]),
    );
    const [{ n }] = await knex('ledger_entries').where('idempotency_key', 'like', `hold:bench:${run}:%`).count({ n: '*' });
    const charges = Number(n);
    // A double charge would be a second hold entry for a key: impossible by the unique key, counted anyway.
    const [{ d }] = await knex('holds').where('key', 'like', `bench:${run}:%`).select(knex.raw('count(*) - count(DISTINCT key) AS d'));
    // The raw baseline bypassed the ledger, so compare each account's balance with its entries net of those updates.
    const rawSpent = new Map<number, number>();
    for (const j of withDuplicates) rawSpent.set(j.data.userId, (rawSpent.get(j.data.userId) ?? 0) + PRICE);
    const { rows: sums } = await knex.raw<{ rows: { user_id: string; total: string; coins: string }[] }>(
      'SELECT e.user_id, sum(e.amount) AS total, min(b.coins) AS coins FROM ledger_entries e JOIN balances b ON b.user_id = e.user_id WHERE e.user_id = ANY(?) GROUP BY e.user_id',
      [userIds],
    );
    const sumsMatch = sums.length === ACCOUNTS && sums.every((s) => Number(s.total) - rawSpent.get(Number(s.user_id))! === Number(s.coins));
    return { ours: (ours * CHARGES) / withDuplicates.length, raw: (raw * CHARGES) / withDuplicates.length, ratio: ours / raw, charges, doubleCharges: Number(d), sumsMatch };
  } finally {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await knex.destroy();
  }
}

/**
 * pre_checkout_query → answerPreCheckoutQuery latency while the bot ingests RATE updates/s of other traffic
 * (/balance, which lands on the same interactive queue), through the real `bot` and `worker` processes.
 */
export async function benchPrecheckout(RATE = 500, SECONDS = 10, PAYMENTS = 50): Promise<{ p50: number; p99: number; max: number; paid: number; achievedRate: number; failedSends: number }> {
  const { sandbox, client, token, close } = await startDeployment('checkout', 7_100_000);
  try {
    // Payers first: each has an invoice in hand before the load starts.
    const invoices: { userId: number; message: SandboxMessage }[] = [];
    for (let i = 0; i < PAYMENTS; i++) {
      const payer = await client.createUser();
      await client.sendText(payer.id, '/topup');
      const [offer] = await client.waitForMessages(payer.id, 1, 30_000);
      await client.pressButton(payer.id, offer!.message_id, 'topup:0');
      const [, invoice] = await client.waitForMessages(payer.id, 2, 30_000);
      invoices.push({ userId: payer.id, message: invoice! });
    }
    const total = RATE * SECONDS;
    const users = [];
    for (let i = 0; i < total; i++) users.push(await client.createUser());
    const latencies: number[] = [];
    let paid = 0;
    const payments: Promise<void>[] = [];
    // The load goes over a few keep-alive sockets of its own. Through fetch every request sent while others are in
    // flight opens a new connection; the sandbox (in this process) then accepts them late and drops handshakes
    // (SYN retransmitted after 1, 3, 7 s) — a benchmark artefact, and one the payers' requests would share.
    const loadAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    let failedSends = 0;
    const sendLoad = (userId: number) => {
      const body = JSON.stringify({ text: '/balance' });
      const req = http.request(
        `${sandbox.url}/sandbox/${encodeURIComponent(token)}/users/${userId}/text`,
        { method: 'POST', agent: loadAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          if (res.statusCode !== 200) failedSends++;
          // A reset mid-response is a failed send, not a crash of the benchmark.
          res.on('error', () => failedSends++);
          res.resume();
        },
      );
      req.on('error', () => failedSends++);
      req.end(body);
    };
    const started = Date.now();
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      sendLoad(users[i]!.id);
      // Payments spread evenly over the load.
      if (i % Math.floor(total / PAYMENTS) === 0 && invoices.length) {
        const { userId, message } = invoices.shift()!;
        const at = Date.now();
        payments.push(client.payInvoice(userId, message.message_id).then((r) => {
          latencies.push(Date.now() - at);
          if (r.ok) paid++;
        }));
      }
    }
    const achievedRate = total / ((Date.now() - started) / 1000);
    await Promise.all(payments);
    loadAgent.destroy();
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1)!, paid, achievedRate, failedSends };
  } finally {
    await close();
  }
}
