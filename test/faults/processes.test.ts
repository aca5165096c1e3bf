import { existsSync } from 'node:fs';
import { expect } from 'chai';
import sharp from 'sharp';
import { GO_FORWARD_RAW, goForwardOgg } from '../support/audio';
import { BONUS, botMessages, FaultRig, pool, sleep, userSession, type UserRun } from './rig';

/**
 * The fault suite (docs/RELIABILITY.md): the Procfile's processes under load while processes are killed with
 * SIGKILL, Redis is killed and restarted from its append-only file (or flushed), Postgres is stopped, Telegram
 * answers 5xx and 429, and updates arrive twice and ten times. Each scenario ends with the invariants, and prints
 * its figures (one line of the table in docs/RELIABILITY.md).
 *
 * FAULTS_PROFILE=short (CI, minutes) or full (`npm run test:faults`).
 */
const FULL = process.env.FAULTS_PROFILE === 'full';
const USERS = Number(process.env.FAULTS_USERS ?? (FULL ? 200 : 16));
const WIDTH = FULL ? 25 : 8;
const VOICE = existsSync(GO_FORWARD_RAW) && !process.env.FAULTS_NO_VOICE;
const ALL = ['bot', 'worker', 'avatars-1', 'avatars-2', ...(VOICE ? ['transcripts'] : []), 'web'];
// How soon after a copy went out a sender's SIGKILL explains a repeat of it: Telegram answered, the receipt insert
// (a few ms, longer on this loaded 2-core machine) had not run. Generous, and still a small share of a run.
const SEND_WINDOW_MS = 500;

interface Figures {
  scenario: string;
  users: number;
  /** Payments that went through (a pre-checkout not answered in time under faults is declined, as Telegram would). */
  paid: number;
  /** Steps whose answer the user never saw while acting (waits of 120 s); the invariants then count what is missing. */
  userErrors: number;
  actions: number;
  faults: string;
  lost: number;
  duplicated: number;
  /**
   * Repeats the documented at-least-once window explains (docs/RELIABILITY.md): the earlier copy was sent and the
   * process that sends was SIGKILLed within SEND_WINDOW_MS after, before its receipt could be written. Reported,
   * not failed; any other repeat fails.
   */
  sendWindowRepeats: number;
  wrongBalances: number;
  paymentsUnaccounted: number;
  recoverSeconds: number;
  problems: string[];
}

/** Checks every invariant after the platform settled; returns the figures (and the problems, for the assertion). */
async function invariants(rig: FaultRig, runs: UserRun[], scenario: string, faults: string, recoverMs: number, opts: { lossAllowed?: boolean } = {}): Promise<Figures> {
  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let sendWindowRepeats = 0;
  let wrongBalances = 0;
  let actions = 0;
  // A kill of a process that sends (not the bot, not the web process) right after a copy went out.
  const senderKills = rig.killLog.filter((k) => !k.name.startsWith('bot') && k.name !== 'web').map((k) => k.at);
  const killedRightAfter = (at: number) => senderKills.some((k) => k >= at && k - at <= SEND_WINDOW_MS);
  const count = (user: number, what: string, expected: number, found: number, sentAt: number[] = []) => {
    actions += expected;
    if (found < expected) (lost += expected - found), problems.push(`user ${user}: ${what} ${found} of ${expected}`);
    if (found <= expected) return;
    // Each extra copy is explained when the copy before it was followed at once by a sender's SIGKILL.
    const sorted = [...sentAt].sort((a, b) => a - b);
    const explained = sorted.length === found ? sorted.slice(0, found - expected).filter(killedRightAfter).length : 0;
    sendWindowRepeats += explained;
    if (explained < found - expected) (duplicated += found - expected - explained), problems.push(`user ${user}: ${what} ×${found}`);
  };
  for (const run of runs) {
    const msgs = botMessages(await rig.client.messages(run.id));
    const matching = (re: RegExp) => msgs.filter((m) => re.test(m.text ?? m.caption ?? ''));
    const text = (re: RegExp) => matching(re).length;
    const sent = (re: RegExp) => matching(re).map((m) => m.at);
    const user = await rig.knex('users').where({ telegram_id: run.id }).first();
    if (!user) {
      count(run.id, 'registration', 1, 0);
      continue;
    }
    const holds = await rig.knex('holds').where({ user_id: user.id });
    const captured = holds.filter((h) => h.status === 'captured');
    const payments = await rig.knex('payments').where({ user_id: user.id });
    count(run.id, 'welcome', 1, text(/^Welcome to Switchyard/), sent(/^Welcome to Switchyard/));
    count(run.id, '/balance reply', 1, text(/^Your balance: \d+ coins\.$/), sent(/^Your balance: \d+ coins\.$/));
    count(run.id, 'plain-text reply', 1, text(/^I only understand commands/), sent(/^I only understand commands/));
    count(run.id, 'thank-you per payment', payments.filter((p) => p.status === 'paid').length, text(/^Thank you!/), sent(/^Thank you!/));
    if (run.paid) count(run.id, 'payment recorded', 1, payments.length);
    if (run.photo) {
      count(run.id, 'avatar charged', 1, captured.filter((h) => h.service === 'avatar').length);
      const photos = msgs.filter((m) => m.photo && /Your avatar is ready/.test(m.caption ?? ''));
      const files = msgs.filter((m) => m.document && !/\.txt$/.test((m.document as { file_name?: string }).file_name ?? ''));
      count(run.id, 'avatar photo', 1, photos.length, photos.map((m) => m.at));
      count(run.id, 'avatar file', 1, files.length, files.map((m) => m.at));
    }
    if (run.voice) {
      count(run.id, 'transcript charged', 1, captured.filter((h) => h.service === 'transcript').length);
      count(run.id, 'transcript', 1, text(/^📝 Transcript/), sent(/^📝 Transcript/));
    }
    const balance = Number((await rig.knex('balances').where({ user_id: user.id }).first())?.coins ?? 0);
    const sum = Number((await rig.knex('ledger_entries').where({ user_id: user.id }).sum({ s: 'amount' }).first())?.s ?? 0);
    const credited = payments.filter((p) => p.status === 'paid').reduce((a, p) => a + Number(p.coins), 0);
    const spent = captured.reduce((a, h) => a + Number(h.amount), 0);
    const held = holds.filter((h) => h.status === 'held').length;
    if (balance !== sum || balance !== BONUS + credited - spent || held > 0) {
      wrongBalances++;
      problems.push(`user ${run.id}: balance ${balance}, ledger ${sum}, expected ${BONUS} + ${credited} − ${spent}, open holds ${held}`);
    }
  }
  // Every Star Telegram took is credited or given back.
  const txs: { id: string; source?: unknown }[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = (await (await fetch(`${rig.sandbox.apiRoot}/bot${rig.token}/getStarTransactions?offset=${offset}&limit=100`)).json()) as { result: { transactions: typeof txs } };
    txs.push(...page.result.transactions);
    if (page.result.transactions.length < 100) break;
  }
  const incoming = txs.filter((t) => t.source);
  const recorded = new Set((await rig.knex('payments').pluck('telegram_payment_charge_id')).map(String));
  const paymentsUnaccounted = incoming.filter((t) => !recorded.has(t.id)).length;
  if (paymentsUnaccounted) problems.push(`${paymentsUnaccounted} Stars payment(s) with no record`);
  // No job left failed or running; no duplicate send by receipt (the receipt key is unique; the message counts above).
  const counts = await rig.jobCounts();
  if (counts.failed) problems.push(`failed jobs: ${(await rig.failedJobs()).join(' | ')}`);
  if (counts.active) problems.push(`${counts.active} jobs still active`);
  const figures: Figures = {
    scenario, users: runs.length, paid: runs.filter((r) => r.paid).length, userErrors: runs.reduce((a, r) => a + r.errors.length, 0), actions, faults, lost, duplicated, sendWindowRepeats, wrongBalances, paymentsUnaccounted,
    recoverSeconds: Math.round(recoverMs / 100) / 10, problems: opts.lossAllowed ? problems.filter((p) => !/ of /.test(p)) : problems,
  };
  const { problems: _p, ...row } = figures;
  process.stdout.write(`[faults] ${JSON.stringify(row)}\n`);
  if (figures.problems.length) process.stdout.write(`[faults] problems:\n  ${figures.problems.slice(0, 40).join('\n  ')}\n`);
  return figures;
}

describe(`fault suite (${FULL ? 'full' : 'short'} profile: ${USERS} users)`, function () {
  this.timeout(FULL ? 1_800_000 : 600_000);
  let rig: FaultRig;
  let photo: Buffer;
  let voice: Buffer | undefined;
  before(async () => {
    photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#aa3355' } }).jpeg().toBuffer();
    voice = VOICE ? goForwardOgg() : undefined;
  });
  beforeEach(async () => {
    rig = new FaultRig();
  });
  afterEach(async () => {
    await rig.destroy();
  });

  const load = (updates: number[]) =>
    pool(Array.from({ length: USERS }, (_, i) => i), WIDTH, (i) => userSession(rig.client, i, { photo, voice: i % 5 === 0 ? voice : undefined }, updates));

  /**
   * The load with a kill -9 every few seconds (of a process `pick` chooses), Telegram answering 502 for a while and
   * 429 to a number of calls, then some updates delivered again (some twice, some ten times): returns the runs and
   * the faults' description.
   */
  async function loadUnderKills(pick: (names: string[], n: number) => string): Promise<{ runs: UserRun[]; faults: string; lastFault: number }> {
    const updates: number[] = [];
    let loading = true;
    const targetKills = FULL ? 12 : 4;
    const faults = (async () => {
      let n = 0;
      while (loading || n < targetKills) {
        await sleep(FULL ? 4_000 : 3_000);
        rig.kill(pick([...rig.children.keys()], n));
        n++;
        if (n === 2) await rig.client.injectFault({ code: 502, forMs: FULL ? 20_000 : 5_000 });
        if (n === 3) await rig.client.injectFault({ code: 429, retryAfter: 1, times: FULL ? 60 : 20 });
        // Timeouts: calls held 8 s and not carried out; the workers give up after their 5 s (TELEGRAM_TIMEOUT_SECONDS:
        // shorter, and an upload Telegram did carry out under this load would be given up and sent again).
        if (n === 1) await rig.client.injectFault({ code: 504, hangMs: 8_000, forMs: FULL ? 20_000 : 5_000 });
        if (n >= targetKills && !loading) break;
      }
    })();
    const runs = await load(updates);
    loading = false;
    await faults;
    expect(rig.kills).to.be.at.least(targetKills);
    // The same updates again, as Telegram does after a failed confirmation: some twice, some ten times.
    const sample = updates.filter((_, i) => i % 7 === 0);
    for (const [i, id] of sample.entries()) for (let k = 0; k < (i % 3 === 0 ? 9 : 1); k++) await rig.client.redeliver(id).catch(() => undefined);
    await rig.client.clearFaults();
    return { runs, faults: `${rig.kills} SIGKILLs, 502 for ${FULL ? 20 : 5} s, 429 ×${FULL ? 60 : 20}, timeouts for ${FULL ? 20 : 5} s, ${sample.length} updates redelivered (1× or 9×)`, lastFault: Date.now() };
  }
  const anyOf = (names: string[]) => names[Math.floor(Math.random() * names.length)]!;

  it('kill -9 of random processes, Telegram 5xx and 429 storms, updates delivered 2× and 10×: nothing lost, nothing twice, every coin right', async () => {
    await rig.start(ALL);
    // The web process (Bull Board, metrics) only every third kill: it holds no work in polling mode.
    const { runs, faults, lastFault } = await loadUnderKills((names, n) => anyOf(names.filter((k) => k !== 'web' || n % 3 === 0)));
    const recover = await rig.quiesce(FULL ? 600_000 : 240_000).then(() => Date.now() - lastFault);
    const f = await invariants(rig, runs, 'kill -9 loop + 5xx/429 + duplicates', faults, recover);
    expect(f.problems, f.problems.join('\n')).to.deep.equal([]);
  });

  it('webhook mode: the web process (the ingress) and workers killed -9 while Telegram retries its deliveries: nothing lost, nothing twice', async () => {
    await rig.start(ALL.filter((k) => k !== 'bot'), { webhook: true });
    // Every other kill hits the web process: the deliveries in flight fail and Telegram delivers them again.
    const { runs, faults, lastFault } = await loadUnderKills((names, n) => (n % 2 === 0 && names.includes('web') ? 'web' : anyOf(names)));
    const recover = await rig.quiesce(FULL ? 600_000 : 240_000).then(() => Date.now() - lastFault);
    const f = await invariants(rig, runs, 'webhook mode: kill -9 loop (web every other) + 5xx/429 + duplicates', faults, recover);
    expect(f.problems, f.problems.join('\n')).to.deep.equal([]);
  });

  it('Redis SIGKILLed and restarted from its AOF, then Postgres stopped mid-load: outages waited out, every coin right', async () => {
    await rig.start(ALL);
    const updates: number[] = [];
    const pgDownMs = FULL ? 30_000 : 8_000;
    const loadDone = load(updates);
    await sleep(4_000);
    await rig.own!.kill();
    await sleep(2_000);
    await rig.own!.restart();
    await sleep(4_000);
    rig.pg!.stop('fast');
    await sleep(pgDownMs);
    rig.pg!.resume();
    const lastFault = Date.now();
    const runs = await loadDone;
    const recover = await rig.quiesce(FULL ? 600_000 : 240_000).then(() => Date.now() - lastFault);
    const f = await invariants(rig, runs, 'Redis SIGKILL + AOF restart, Postgres down', `Redis killed 2 s (AOF everysec), Postgres stopped ${pgDownMs / 1000} s`, recover);
    expect(f.problems, f.problems.join('\n')).to.deep.equal([]);
  });

  if (FULL) {
    it('Redis flushed mid-load: what is lost is reported; the money is exact and every payment is credited (outbox, reconciliation)', async () => {
      await rig.start(ALL);
      const updates: number[] = [];
      const loadDone = load(updates);
      await sleep(8_000);
      await rig.redis.flushall();
      const lastFault = Date.now();
      const runs = await loadDone;
      // Reconciliation runs every minute and looks at payments older than 20 s: give it two rounds.
      const recover = await rig.quiesce(600_000, async () => {
        const txs = ((await (await fetch(`${rig.sandbox.apiRoot}/bot${rig.token}/getStarTransactions?limit=100`)).json()) as { result: { transactions: { id: string; source?: unknown }[] } }).result.transactions;
        const recorded = new Set((await rig.knex('payments').pluck('telegram_payment_charge_id')).map(String));
        return txs.filter((t) => t.source).every((t) => recorded.has(t.id));
      }).then(() => Date.now() - lastFault);
      const f = await invariants(rig, runs, 'Redis FLUSHALL', 'all Redis data flushed once mid-load', recover, { lossAllowed: true });
      expect(f.wrongBalances, f.problems.join('\n')).to.equal(0);
      expect(f.paymentsUnaccounted).to.equal(0);
      expect(f.duplicated, f.problems.join('\n')).to.equal(0);
    });
  }
});
