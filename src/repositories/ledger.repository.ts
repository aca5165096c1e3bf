import type { Knex } from 'knex';
import { runStatement } from '../db/statements';

export type LedgerKind = 'bonus' | 'topup' | 'hold' | 'capture' | 'release' | 'refund' | 'grant' | 'debit';

export interface LedgerPosting {
  /** users.id (not the Telegram id). */
  userId: number;
  kind: LedgerKind;
  /** Signed coins. */
  amount: number;
  /** Deterministic, from domain ids (e.g. `hold:avatar:42:7`): posting it again changes nothing. */
  idempotencyKey: string;
  reference?: string;
  details?: Record<string, unknown>;
}

export interface PostingResult {
  /** False when the key had been posted before (the balance is unchanged). */
  applied: boolean;
  balance: number;
  /**
   * True when this posting took the balance below the low-balance threshold and the user is to be told: set once
   * per crossing (a flag on the user, cleared when the balance climbs back), only for users with notifications on.
   */
  lowBalance: boolean;
}

/** The balance would go below zero: nothing was written. */
export class InsufficientFundsError extends Error {
  override readonly name = 'InsufficientFundsError';
  constructor(
    readonly balance: number,
    readonly needed: number,
  ) {
    super(`insufficient coins: balance ${balance}, needed ${needed}`);
  }
}

export interface LedgerEntry {
  id: number;
  kind: LedgerKind;
  amount: number;
  reference: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
}

/** The database's CHECK (coins >= 0) refused a balance change. */
function isOverdraft(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23514' && e.constraint === 'balances_coins_non_negative';
}

function isFirstRowRace(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e?.code === '23505' && e.constraint === 'balances_pkey';
}

/**
 * A ledger posting as ONE SQL statement (one round trip, one implicit transaction when run outside one):
 *   gate   — optional CTEs of the caller (a hold row inserted, a hold row settled) that the entry is made from;
 *   entry  — the entry, skipped when its idempotency key exists (ON CONFLICT DO NOTHING);
 *   bal    — the balance row changed by the entry's amount (the UPDATE takes the row lock, so concurrent postings
 *            serialise; the CHECK refuses a negative balance and the whole statement is undone); a user's first
 *            posting inserts the row (two first postings at once: one fails on the primary key and is retried);
 *   flag   — the user's low-balance flag follows the new balance (set when spending takes it below the threshold,
 *            cleared when it climbs back), so "tell the user" comes out true once per crossing.
 * Data-modifying CTEs see one snapshot and all commit or none do.
 */
export interface PostingStatement {
  /** CTEs placed before `entry` (each `name AS (…),`; the one the entry reads from is named `gate`), with bindings. */
  gate?: { sql: string; bindings: unknown[] };
  /** SELECT producing (user_id, kind, amount, idempotency_key, reference, details) for the entry. */
  entry: { sql: string; bindings: unknown[] };
  /** SQL expression (with bindings) for the user whose balance to report when no entry was made. */
  user: { sql: string; bindings: unknown[] };
  /** Coins the entry takes (for the refusal's wording when the balance is too low). */
  need: number;
}

export interface StatementResult extends PostingResult {
  /** Columns the gate returned, when the caller asks (`gateColumns`). */
  gate: Record<string, unknown> | null;
}

/**
 * All SQL of the coins ledger. An entry and its balance change happen in one statement, under the balance row's
 * lock, so concurrent postings for one user serialise; the entry's unique key makes every posting idempotent and the
 * balance's CHECK makes an overdraft impossible even for code that bypasses this class.
 */
export class LedgerRepository {
  constructor(
    private readonly knex: Knex,
    private readonly opts: { lowBalanceThreshold?: number } = {},
  ) {}

  /** Posts one entry; `db` may be a transaction the entry must commit with (payments, refunds). */
  async post(p: LedgerPosting, db: Knex | Knex.Transaction = this.knex): Promise<PostingResult> {
    if (!Number.isSafeInteger(p.amount)) throw new Error(`coins must be whole numbers, got ${p.amount}`);
    const { applied, balance, lowBalance } = await this.execute(db, {
      entry: {
        sql: 'SELECT ?::bigint, ?::text, ?::bigint, ?::text, ?::text, ?::jsonb',
        bindings: [p.userId, p.kind, p.amount, p.idempotencyKey, p.reference ?? null, JSON.stringify(p.details ?? {})],
      },
      user: { sql: '?::bigint', bindings: [p.userId] },
      need: -p.amount,
    });
    return { applied, balance, lowBalance };
  }

  /** Runs a posting statement (see PostingStatement); a would-be overdraft throws InsufficientFundsError. */
  async execute(db: Knex | Knex.Transaction, st: PostingStatement, gateColumns?: string): Promise<StatementResult> {
    const threshold = this.opts.lowBalanceThreshold ?? 0;
    const sql = `WITH ${st.gate?.sql ?? ''}
      entry AS (
        INSERT INTO ledger_entries (user_id, kind, amount, idempotency_key, reference, details)
        ${st.entry.sql}
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING user_id, amount
      ),
      upd AS (
        UPDATE balances b SET coins = b.coins + e.amount, updated_at = now()
        FROM entry e WHERE b.user_id = e.user_id AND e.amount <> 0
        RETURNING b.user_id, b.coins, e.amount
      ),
      -- A user's first posting makes the row (a negative first posting fails the CHECK: an overdraft).
      ins AS (
        INSERT INTO balances (user_id, coins) SELECT user_id, amount FROM entry WHERE amount <> 0 AND NOT EXISTS (SELECT 1 FROM upd)
        RETURNING user_id, coins, coins AS amount
      ),
      bal AS (SELECT user_id, coins, amount FROM upd UNION ALL SELECT user_id, coins, amount FROM ins),
      flag AS (
        UPDATE users u SET low_balance_notified = (bal.coins < ?::bigint)
        FROM bal
        WHERE ?::bigint > 0 AND u.id = bal.user_id AND u.low_balance_notified IS DISTINCT FROM (bal.coins < ?::bigint)
          -- only spending sets it (a small credit that leaves the balance low is no news); any climb above clears it
          AND (bal.amount < 0 OR bal.coins >= ?::bigint)
        RETURNING u.low_balance_notified AND u.notifications AS tell
      )
      SELECT EXISTS (SELECT 1 FROM entry) AS applied,
        COALESCE((SELECT coins FROM bal), (SELECT coins FROM balances WHERE user_id = ${st.user.sql}), 0) AS balance,
        COALESCE((SELECT tell FROM flag), false) AS low
        ${gateColumns ? `, (SELECT row_to_json(g) FROM (SELECT ${gateColumns} FROM gate) g) AS gate` : ''}`;
    const bindings = [...(st.gate?.bindings ?? []), ...st.entry.bindings, threshold, threshold, threshold, threshold, ...st.user.bindings];
    for (let attempt = 0; ; attempt++) {
      try {
        // Prepared (statements.ts): planning this statement cost more than running it.
        const rows = await runStatement<{ applied: boolean; balance: string | number; low: boolean; gate?: Record<string, unknown> | null }>(db, sql, bindings);
        const row = rows[0]!;
        return { applied: row.applied, balance: Number(row.balance), lowBalance: row.low, gate: row.gate ?? null };
      } catch (err) {
        // Lost the race to create the user's balance row: once more, now as an update (not inside a transaction,
        // which the error has aborted: the caller's retry runs it again).
        if (isFirstRowRace(err) && attempt === 0 && db === this.knex) continue;
        if (!isOverdraft(err)) throw err;
        // The statement (and the caller's transaction, if any) is undone: read the balance outside it.
        const { rows } = await this.knex.raw<{ rows: { coins: string | null }[] }>(`SELECT (SELECT coins FROM balances WHERE user_id = ${st.user.sql}) AS coins`, st.user.bindings as Knex.RawBinding[]);
        throw new InsufficientFundsError(Number(rows[0]?.coins ?? 0), st.need);
      }
    }
  }

  /** Locks the user's balance row until the caller's transaction ends and returns its coins (0 if none yet). */
  async lockBalance(trx: Knex.Transaction, userId: number): Promise<number> {
    const row = await trx('balances').select('coins').where({ user_id: userId }).forUpdate().first();
    return Number(row?.coins ?? 0);
  }

  async balance(userId: number): Promise<number> {
    const row = await this.knex('balances').select('coins').where({ user_id: userId }).first();
    return Number(row?.coins ?? 0);
  }

  /** The sum of a user's entries; equals `balance()` at all times (tested). */
  async entriesTotal(userId: number): Promise<number> {
    const row = await this.knex('ledger_entries').sum({ total: 'amount' }).where({ user_id: userId }).first();
    return Number(row?.total ?? 0);
  }

  /** A page of the user's entries, newest first, and whether older ones exist. */
  async history(userId: number, page: number, pageSize: number): Promise<{ entries: LedgerEntry[]; more: boolean }> {
    const rows = await this.knex('ledger_entries')
      .select('id', 'kind', 'amount', 'reference', 'details', 'created_at')
      .where({ user_id: userId })
      .orderBy('id', 'desc')
      .offset(page * pageSize)
      .limit(pageSize + 1);
    return {
      entries: rows.slice(0, pageSize).map((r) => ({ id: Number(r.id), kind: r.kind, amount: Number(r.amount), reference: r.reference, details: r.details ?? {}, createdAt: r.created_at })),
      more: rows.length > pageSize,
    };
  }
}
