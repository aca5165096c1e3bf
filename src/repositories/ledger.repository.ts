import type { Knex } from 'knex';

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

/**
 * All SQL of the coins ledger. An entry and its balance change happen in one transaction, under the balance row's
 * lock, so concurrent postings for one user serialise; the entry's unique key makes every posting idempotent and the
 * balance's CHECK makes an overdraft impossible even for code that bypasses this class.
 */
export class LedgerRepository {
  constructor(
    private readonly knex: Knex,
    private readonly opts: { lowBalanceThreshold?: number } = {},
  ) {}

  post(p: LedgerPosting): Promise<PostingResult> {
    return this.knex.transaction((trx) => this.postIn(trx, p));
  }

  /** Posts inside the caller's transaction (holds, payments): the entry commits with the caller's own rows. */
  async postIn(trx: Knex.Transaction, p: LedgerPosting): Promise<PostingResult> {
    if (!Number.isSafeInteger(p.amount)) throw new Error(`coins must be whole numbers, got ${p.amount}`);
    const coins = await this.lockBalance(trx, p.userId);
    const inserted = await trx('ledger_entries')
      .insert({
        user_id: p.userId,
        kind: p.kind,
        amount: p.amount,
        idempotency_key: p.idempotencyKey,
        reference: p.reference ?? null,
        details: JSON.stringify(p.details ?? {}),
      })
      .onConflict('idempotency_key')
      .ignore()
      .returning('id');
    if (!inserted.length) return { applied: false, balance: coins, lowBalance: false };
    const next = coins + p.amount;
    if (next < 0) throw new InsufficientFundsError(coins, -p.amount);
    if (p.amount !== 0) await trx('balances').where({ user_id: p.userId }).update({ coins: next, updated_at: trx.fn.now() });
    return { applied: true, balance: next, lowBalance: await this.noteThreshold(trx, p.userId, coins, next) };
  }

  /** The user's coins, with their balance row locked until the transaction ends (created at 0 if missing). */
  async lockBalance(trx: Knex.Transaction, userId: number): Promise<number> {
    const { rows } = await trx.raw<{ rows: { coins: string | number }[] }>(
      `INSERT INTO balances (user_id, coins) VALUES (?, 0)
       ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
       RETURNING coins`,
      [userId],
    );
    // ON CONFLICT DO UPDATE locks the existing row like SELECT … FOR UPDATE, in one round trip.
    return Number(rows[0]!.coins);
  }

  /** Once per crossing: a fall below the threshold sets the user's flag (and says "tell them"), a climb clears it. */
  private async noteThreshold(trx: Knex.Transaction, userId: number, before: number, after: number): Promise<boolean> {
    const threshold = this.opts.lowBalanceThreshold ?? 0;
    if (threshold <= 0) return false;
    if (after < threshold && before >= threshold) {
      const rows = await trx('users').where({ id: userId, low_balance_notified: false }).update({ low_balance_notified: true }).returning('notifications');
      return rows.length > 0 && rows[0].notifications === true;
    }
    if (after >= threshold && before < threshold) await trx('users').where({ id: userId, low_balance_notified: true }).update({ low_balance_notified: false });
    return false;
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
