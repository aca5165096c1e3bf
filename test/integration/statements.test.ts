import { expect } from 'chai';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/knex';
import { runStatement } from '../../src/db/statements';
import { HoldsRepository } from '../../src/repositories/holds.repository';
import { InsufficientFundsError, LedgerRepository } from '../../src/repositories/ledger.repository';
import { TEST_DATABASE_URL } from '../support/env';

/** The ledger's statements, prepared once per connection (DATABASE_PREPARED_STATEMENTS=on) or not (off). */
describe('prepared ledger statements', () => {
  const opened: Knex[] = [];
  const knexWith = (prepared: boolean) => {
    // One connection, so the session that prepared is the one asked about it.
    const k = createKnex(TEST_DATABASE_URL, { max: 1 }, { prepared });
    opened.push(k);
    return k;
  };
  const newUser = async (knex: Knex) => {
    const [{ id }] = await knex('users').insert({ telegram_id: 700_000_000 + Math.floor(Math.random() * 99_999_999) }).returning('id');
    return id as number;
  };
  const preparedNames = async (knex: Knex) =>
    (await knex.raw<{ rows: { name: string }[] }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 'sy\\_%'")).rows.map((r) => r.name);
  after(() => Promise.all(opened.map((k) => k.destroy())));

  for (const prepared of [true, false]) {
    it(`charges the same with prepared statements ${prepared ? 'on' : 'off'}: hold, capture, a repeat, an overdraft`, async () => {
      const knex = knexWith(prepared);
      const ledger = new LedgerRepository(knex);
      const holds = new HoldsRepository(knex, ledger);
      const userId = await newUser(knex);
      await ledger.post({ userId, kind: 'grant', amount: 10, idempotencyKey: `grant:stmt:${userId}` });
      const hold = { userId, service: 'avatar', amount: 4, queue: 'avatars', jobId: 'j' };
      expect((await holds.hold({ ...hold, key: `stmt:${userId}:1` })).status).to.equal('held');
      // The same request again (a retry): its hold is found, nothing more is taken.
      expect(await holds.hold({ ...hold, key: `stmt:${userId}:1` })).to.include({ status: 'held', created: false });
      expect((await holds.settle(`stmt:${userId}:1`, 'captured')).settled).to.equal(true);
      expect((await holds.settle(`stmt:${userId}:1`, 'captured')).settled).to.equal(false);
      expect((await holds.hold({ ...hold, key: `stmt:${userId}:2` })).status).to.equal('held');
      let refused: unknown;
      await holds.hold({ ...hold, key: `stmt:${userId}:3` }).catch((e) => (refused = e));
      expect(refused).to.be.instanceOf(InsufficientFundsError);
      expect((refused as InsufficientFundsError).balance).to.equal(2);
      expect(await ledger.balance(userId)).to.equal(2);
      expect(await ledger.entriesTotal(userId)).to.equal(2);
      // On: the statements were prepared in this session; off: none was.
      expect((await preparedNames(knex)).length > 0).to.equal(prepared);
    });
  }

  it('a connection that lost its prepared statements (DEALLOCATE, as after a restart) prepares them again', async () => {
    const knex = knexWith(true);
    const ledger = new LedgerRepository(knex);
    const userId = await newUser(knex);
    await ledger.post({ userId, kind: 'grant', amount: 5, idempotencyKey: `grant:stmt:a:${userId}` });
    await knex.raw('DEALLOCATE ALL');
    // node-postgres still counts the statement prepared; the server says it does not exist: prepared again, once.
    expect(await ledger.post({ userId, kind: 'grant', amount: 5, idempotencyKey: `grant:stmt:b:${userId}` })).to.include({ applied: true });
    expect(await ledger.balance(userId)).to.equal(10);
  });

  it('a table changed under a prepared statement (a migration while workers run) prepares it again', async () => {
    const knex = knexWith(true);
    await knex.raw('CREATE TEMP TABLE stmt_probe (a int)');
    await knex.raw('INSERT INTO stmt_probe VALUES (1)');
    const read = () => runStatement<Record<string, number>>(knex, 'SELECT * FROM stmt_probe WHERE a = ?::int', [1]);
    expect(await read()).to.deep.equal([{ a: 1 }]);
    await knex.raw('ALTER TABLE stmt_probe ADD COLUMN b int DEFAULT 2');
    // Postgres: "cached plan must not change result type"; answered, not thrown.
    expect(await read()).to.deep.equal([{ a: 1, b: 2 }]);
  });

  it('refuses a statement whose values do not match its placeholders', async () => {
    const knex = knexWith(true);
    let err: unknown;
    await runStatement(knex, 'SELECT ?::int AS a, ?::int AS b', [1]).catch((e) => (err = e));
    expect(String(err)).to.match(/takes 2 values, 1 given/);
  });
});
