import type { Knex } from 'knex';

export type LedgerKind = 'bonus' | 'topup' | 'hold' | 'capture' | 'release' | 'refund' | 'grant' | 'debit';

export interface LedgerPosting {
  /** users.id (not the Telegram id). */
  userId: number;
  kind: LedgerKind;
  /** Signed coins. */
  amount: number;
  /** Deterministic, from domain ids (e.g. `charge:transcript:42`): posting it again changes nothing. */
  idempotencyKey: string;
  reference?: string;
  details?: Record<string, unknown>;
}

export interface PostingResult {
  /** False when the key had been posted before (the balance is unchanged). */
  applied: boolean;
  balance: number;
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

/**
 * All SQL of the coins ledger. An entry and its balance change happen in one transaction, under the balance row's
 * lock, so concurrent postings for one user serialise; the entry's unique key makes every posting idempotent and the
 * balance's CHECK makes an overdraft impossible even for code that bypasses this class.
 */
export class LedgerRepository {
  constructor(private readonly knex: Knex) {}

  async post(p: LedgerPosting): Promise<PostingResult> {
    if (!Number.isSafeInteger(p.amount)) throw new Error(`coins must be whole numbers, got ${p.amount}`);
    return this.knex.transaction(async (trx) => {
      await trx.raw('INSERT INTO balances (user_id, coins) VALUES (?, 0) ON CONFLICT (user_id) DO NOTHING', [p.userId]);
      const { coins } = await trx('balances').select('coins').where({ user_id: p.userId }).forUpdate().first();
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
      if (!inserted.length) return { applied: false, balance: coins as number };
      const next = (coins as number) + p.amount;
      if (next < 0) throw new InsufficientFundsError(coins as number, -p.amount);
      await trx('balances').where({ user_id: p.userId }).update({ coins: next, updated_at: trx.fn.now() });
      return { applied: true, balance: next };
    });
  }

  async balance(userId: number): Promise<number> {
    const row = await this.knex('balances').select('coins').where({ user_id: userId }).first();
    return (row?.coins as number | undefined) ?? 0;
  }

  /** The sum of a user's entries; equals `balance()` at all times (tested). */
  async entriesTotal(userId: number): Promise<number> {
    const row = await this.knex('ledger_entries').sum({ total: 'amount' }).where({ user_id: userId }).first();
    return Number(row?.total ?? 0);
  }
}
