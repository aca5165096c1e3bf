import { existsSync } from 'node:fs';
import { expect } from 'chai';
import sharp from 'sharp';
import { GO_FORWARD_RAW, goForwardOgg } from '../support/audio';
import { invariants } from './invariants';
import { FaultRig, pool, sleep, userSession, type UserRun } from './rig';

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
