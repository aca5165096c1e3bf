import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { InsufficientFundsError, LedgerRepository } from '../../src/repositories/ledger.repository';
import { databaseEnv, TEST_DATABASE_URL } from '../support/env';
import { testKnex } from '../support/scratch-db';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function chargeFromProcess(userId: number, amount: number, prefix: string, first: number, count: number): Promise<{ applied: number; refused: number; duplicate: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/test/support/ledger-charger.js'), TEST_DATABASE_URL, String(userId), String(amount), prefix, String(first), String(count)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...databaseEnv(TEST_DATABASE_URL) },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`charger exited with ${code}`))));
  });
}

describe('coins ledger', () => {
  let knex: Knex;
  let ledger: LedgerRepository;
  let userId: number;

  before(async () => {
    knex = testKnex(TEST_DATABASE_URL, { max: 4 });
    ledger = new LedgerRepository(knex);
    const telegramId = 900_000_000 + Math.floor(Math.random() * 99_999_999);
    [{ id: userId }] = await knex('users').insert({ telegram_id: telegramId }).returning('id');
  });
  after(() => knex?.destroy());

  it('50 concurrent charges from several processes never overdraw or double-charge; entries sum to the balance', async () => {
    await ledger.post({ userId, kind: 'grant', amount: 1_000, idempotencyKey: `grant:test:${userId}` });
    const prefix = `charge:test:${userId}`;
    // Three worker-like processes race over the same 50 charges (hold, then capture) of 30 coins; their keys overlap
    // (0-29, 10-39, 20-49), as retried and re-delivered jobs would.
    const runs = await Promise.all([0, 10, 20].map((first) => chargeFromProcess(userId, 30, prefix, first, 30)));
    const balance = await ledger.balance(userId);
    const kinds = await knex('ledger_entries').where({ user_id: userId }).select('kind').count<{ kind: string; count: string }[]>('* as count').groupBy('kind');
    const count = (kind: string) => Number(kinds.find((k) => k.kind === kind)?.count ?? 0);
    // 1,000 coins pay for 33 charges of 30; the other 17 are refused; none is held or captured twice.
    expect(count('hold')).to.equal(33);
    expect(count('capture')).to.equal(33);
    expect(count('release')).to.equal(0);
    expect(runs.reduce((n, r) => n + r.applied, 0)).to.equal(33);
    expect(runs.reduce((n, r) => n + r.duplicate + r.applied + r.refused, 0)).to.equal(90);
    expect(await knex('holds').where({ user_id: userId, status: 'captured' }).count<{ count: string }[]>('* as count').then((r) => Number(r[0]!.count))).to.equal(33);
    expect(balance).to.equal(10);
    expect(await ledger.entriesTotal(userId)).to.equal(balance);
  });

  it('posting the same key again changes nothing', async () => {
    const before = await ledger.balance(userId);
    const again = await ledger.post({ userId, kind: 'grant', amount: 1_000, idempotencyKey: `grant:test:${userId}` });
    expect(again).to.deep.equal({ applied: false, balance: before, lowBalance: false });
    expect(await ledger.entriesTotal(userId)).to.equal(before);
  });

  it('an overdraft is refused with the balance and the need, and writes nothing', async () => {
    const before = await ledger.balance(userId);
    let error: unknown;
    try {
      await ledger.post({ userId, kind: 'debit', amount: -(before + 1), idempotencyKey: `charge:test:${userId}:too-much` });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(InsufficientFundsError);
    expect(error).to.include({ balance: before, needed: before + 1 });
    expect(await knex('ledger_entries').where({ idempotency_key: `charge:test:${userId}:too-much` })).to.have.length(0);
  });

  it('the database itself refuses a negative balance, whatever code writes it', async () => {
    let error: unknown;
    try {
      await knex('balances').where({ user_id: userId }).update({ coins: -1 });
    } catch (err) {
      error = err;
    }
    expect((error as { constraint?: string }).constraint).to.equal('balances_coins_non_negative');
  });
});
