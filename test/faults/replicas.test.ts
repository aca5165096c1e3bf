import { existsSync } from 'node:fs';
import { expect } from 'chai';
import sharp from 'sharp';
import { GO_FORWARD_RAW, goForwardOgg } from '../support/audio';
import { invariants } from './invariants';
import { botMessages, FaultRig, pool, userSession, type UserRun } from './rig';

/**
 * Many replicas of every process at once (docs/SCALING.md), on a 3-master Redis Cluster and through a PgBouncer
 * (transaction mode) of the rig's own: two bots
 * (the polling leader and a standby), then webhook mode behind two web replicas; three general workers, two avatars
 * and two transcripts workers. Users act in a mix (text, commands, buttons, photos, voice, Stars payments); every
 * action is answered once, in order per chat (see `order` below), and every ledger is exact.
 * FAULTS_PROFILE=full: 1,000 users (`npm run test:faults`); short (CI): REPLICAS_USERS, 120 by default.
 */
const FULL = process.env.FAULTS_PROFILE === 'full';
const USERS = Number(process.env.REPLICAS_USERS ?? (FULL ? 1_000 : 120));
const WIDTH = FULL ? 40 : 16;
const VOICE = existsSync(GO_FORWARD_RAW) && !process.env.FAULTS_NO_VOICE;
const WORKERS = ['worker-1', 'worker-2', 'worker-3', 'avatars-1', 'avatars-2', ...(VOICE ? ['transcripts-1', 'transcripts-2'] : [])];

describe(`many replicas on a Redis Cluster and PgBouncer (${USERS} users)`, function () {
  this.timeout(FULL ? 1_800_000 : 900_000);
  let rig: FaultRig;
  let photo: Buffer;
  let voice: Buffer | undefined;
  before(async () => {
    photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3355aa' } }).jpeg().toBuffer();
    voice = VOICE ? goForwardOgg() : undefined;
  });
  beforeEach(() => {
    rig = new FaultRig();
  });
  afterEach(async () => {
    await rig.destroy();
  });

  // Every user registers, asks for the balance and writes; one in two pays, one in three orders an avatar, one in 25
  // sends a voice message.
  const load = () =>
    pool(Array.from({ length: USERS }, (_, i) => i), WIDTH, (i) =>
      userSession(rig.client, i, { photo, voice: i % 25 === 0 ? voice : undefined }, [], { pay: i % 2 === 0, avatar: i % 3 === 0 }),
    );

  /**
   * Order per chat (docs/DELIVERY.md): a chat's messages go out in the order they were queued (the chat pacer's
   * sequence), and a reply keeps its update's place in the line: the welcome comes before every later reply, and
   * /balance then /topup sent back to back are answered in that order, whichever of the two jobs (on three workers)
   * finishes first. Swaps are counted and fail the run.
   */
  async function order(runs: UserRun[]): Promise<{ problems: string[]; swapped: number }> {
    const problems: string[] = [];
    let swapped = 0;
    for (const run of runs) {
      const texts = botMessages(await rig.client.messages(run.id)).map((m) => m.text ?? m.caption ?? '');
      const at = (re: RegExp) => texts.findIndex((t) => re.test(t));
      const summary = () => texts.map((t) => t.split('\n')[0]).join(' | ');
      if (at(/^Welcome to Switchyard/) !== 0) problems.push(`user ${run.id}: the welcome is not the first reply: ${summary()}`);
      if (run.paid && at(/^Choose a package/) < at(/^Your balance: \d+ coins\.$/)) {
        swapped++;
        problems.push(`user ${run.id}: /topup answered before the /balance sent first: ${summary()}`);
      }
    }
    return { problems, swapped };
  }

  async function check(scenario: string): Promise<void> {
    const began = Date.now();
    const runs = await load();
    const loadMs = Date.now() - began;
    await rig.quiesce(FULL ? 900_000 : 300_000);
    const f = await invariants(rig, runs, scenario, `${rig.children.size} processes, ${USERS} users in ${Math.round(loadMs / 1000)} s`, Date.now() - began);
    const o = await order(runs);
    process.stdout.write(`[faults] ${scenario}: ${o.swapped} of ${runs.filter((r) => r.paid).length} back-to-back /balance + /topup replies swapped\n`);
    expect(f.actions, 'the users acted').to.be.greaterThan(USERS * 3);
    expect([...f.problems, ...o.problems], [...f.problems, ...o.problems].slice(0, 40).join('\n')).to.deep.equal([]);
    expect(f.sendWindowRepeats, 'no process was killed: no send window to explain a repeat').to.equal(0);
    // The apps' statements went through the pooler (its stats refresh every second).
    await new Promise((r) => setTimeout(r, 1_500));
    const pooled = (await rig.bouncer!.stats()).reduce((a, d) => a + d.transactions, 0);
    process.stdout.write(`[faults] ${scenario}: ${pooled} transactions through PgBouncer\n`);
    expect(pooled, 'transactions through PgBouncer').to.be.greaterThan(USERS * 3);
  }

  it('polling: two bots (leader and standby), three workers, two avatars and two transcripts workers on the cluster', async () => {
    await rig.start(['bot-1', 'bot-2', ...WORKERS, 'web'], { cluster: true, pgbouncer: true });
    await check('replicas: 2 bots (polling) + workers on a Redis Cluster + PgBouncer');
  });

  it('webhook: two web replicas behind a balancer, the same workers, on the cluster', async () => {
    await rig.start(['web-1', 'web-2', ...WORKERS], { cluster: true, pgbouncer: true, webhook: true });
    await check('replicas: 2 web (webhook) + workers on a Redis Cluster + PgBouncer');
  });
});
