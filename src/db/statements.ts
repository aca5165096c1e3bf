import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type pg from 'pg';

/**
 * Hot statements as named prepared statements. Postgres then parses and plans one of them once per connection
 * instead of on every call. A hold (the ledger's six-CTE posting statement) took 1.03 ms, and 0.62 ms prepared:
 * planning it cost more than running it (docs/PERFORMANCE.md). The ledger's statements and `users.ensure` use it.
 *
 * Off for a knex made with `prepared: false` (`DATABASE_PREPARED_STATEMENTS=off`). Turn it off behind a pooler
 * that cannot keep prepared statements across transactions, such as PgBouncer before 1.21 in transaction mode.
 * Inside a transaction the statement runs through knex as usual, on the transaction's connection.
 */
const preparedOff = new WeakSet<Knex>();

/** Marks a knex instance whose statements must not be prepared (see createKnex). */
export function disablePrepared(knex: Knex): void {
  preparedOff.add(knex);
}

interface Native {
  name: string;
  text: string;
  params: number;
}
const natives = new Map<string, Native>();
/** A text that varies with its values would prepare without end: past this many texts, the rest run unprepared. */
const MAX_PREPARED = 200;

/** `?` placeholders to `$n`, once per distinct text; the name is the text's hash, so one name never means two texts. */
function native(sql: string): Native | undefined {
  let n = natives.get(sql);
  if (!n) {
    if (natives.size >= MAX_PREPARED) return undefined;
    if (sql.includes('??')) throw new Error('prepared statements take values only (no ?? identifiers)');
    let params = 0;
    const text = sql.replace(/\?/g, () => `$${++params}`);
    n = { name: `sy_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, params };
    natives.set(sql, n);
  }
  return n;
}

const isTransaction = (db: Knex | Knex.Transaction): db is Knex.Transaction => (db as Knex.Transaction).isTransaction === true;

/** Runs one statement (values bound to `?`) and returns its rows; prepared where that is on (see above). */
export async function runStatement<R>(db: Knex | Knex.Transaction, sql: string, bindings: readonly unknown[]): Promise<R[]> {
  const n = isTransaction(db) || preparedOff.has(db) ? undefined : native(sql);
  if (!n) {
    const { rows } = await db.raw<{ rows: R[] }>(sql, bindings as Knex.RawBinding[]);
    return rows;
  }
  if (n.params !== bindings.length) throw new Error(`statement takes ${n.params} values, ${bindings.length} given`);
  const client = db.client as { acquireConnection(): Promise<pg.PoolClient>; releaseConnection(c: pg.PoolClient): Promise<void> };
  const conn = await client.acquireConnection();
  const run = () => conn.query<R & pg.QueryResultRow>({ name: n.name, text: n.text, values: bindings as unknown[] });
  try {
    try {
      return (await run()).rows;
    } catch (err) {
      // 26000: the session lost it (DEALLOCATE, DISCARD ALL by a pooler) while node-postgres still counts it
      // prepared. 0A000 "cached plan must not change result type": a migration changed a table under it. Either
      // way: forget it (on the server too) and prepare it again, once.
      const code = (err as { code?: string }).code;
      if (code !== '26000' && code !== '0A000') throw err;
      if (code === '0A000') await conn.query(`DEALLOCATE ${n.name}`);
      const cache = (conn as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection?.parsedStatements;
      if (cache) delete cache[n.name];
      return (await run()).rows;
    }
  } finally {
    await client.releaseConnection(conn);
  }
}
