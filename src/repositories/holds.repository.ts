import type { Knex } from 'knex';
import type { LedgerRepository, PostingResult } from './ledger.repository';

export type HoldStatus = 'held' | 'captured' | 'released';

export interface HoldRequest {
  userId: number;
  /** The paid request's domain id (`avatar:<chat>:<message>`): one hold per request, whatever the retries. */
  key: string;
  service: string;
  amount: number;
  /** The job doing the work: the sweep asks BullMQ whether it is still alive. */
  queue: string;
  jobId: string;
}

export interface HoldResult {
  /** The hold's state now: `held` (just made, or made by an earlier run), or already settled by an earlier run. */
  status: HoldStatus;
  /** True when this call made the hold (and took the coins). */
  created: boolean;
  posting?: PostingResult;
}

export interface OpenHold {
  key: string;
  userId: number;
  service: string;
  amount: number;
  queue: string;
  jobId: string;
  createdAt: Date;
}

/**
 * Coins set aside for paid work. A hold takes the coins at once (a `hold` entry); success captures it (a `capture`
 * entry, no coins move), failure releases it (a `release` entry gives them back). The hold row's status changes
 * from `held` exactly once, in the same transaction as its entry, so a hold is captured or released, never both.
 */
export class HoldsRepository {
  constructor(
    private readonly knex: Knex,
    private readonly ledger: LedgerRepository,
  ) {}

  /** Holds the coins, or finds the hold an earlier run of the same request made. Throws InsufficientFundsError. */
  hold(h: HoldRequest): Promise<HoldResult> {
    return this.knex.transaction(async (trx) => {
      const inserted = await trx('holds')
        .insert({ user_id: h.userId, key: h.key, service: h.service, amount: h.amount, queue: h.queue, job_id: h.jobId })
        .onConflict('key')
        .ignore()
        .returning('id');
      if (!inserted.length) {
        const row = await trx('holds').select('status').where({ key: h.key }).first();
        return { status: row.status as HoldStatus, created: false };
      }
      // Too few coins throws here and the transaction takes the hold row back with it.
      const posting = await this.ledger.postIn(trx, {
        userId: h.userId, kind: 'hold', amount: -h.amount, idempotencyKey: `hold:${h.key}`, reference: h.key, details: { service: h.service },
      });
      if (posting.lowBalance) await trx('holds').where({ key: h.key }).update({ crossed_low: true });
      return { status: 'held', created: true, posting };
    });
  }

  /** Whether the hold took the balance below the low-balance threshold, and the balance now (for the notice). */
  async crossedLow(key: string): Promise<{ crossed: boolean; balance: number }> {
    const row = await this.knex('holds as h').join('balances as b', 'b.user_id', 'h.user_id').where('h.key', key).first('h.crossed_low', 'b.coins');
    return { crossed: row?.crossed_low === true, balance: Number(row?.coins ?? 0) };
  }

  /** Settles an open hold: `captured` (work delivered) or `released` (coins back). False if it was settled already. */
  settle(key: string, outcome: 'captured' | 'released', reason?: string): Promise<{ settled: boolean; status: HoldStatus | undefined; posting?: PostingResult }> {
    return this.knex.transaction(async (trx) => {
      const rows = await trx('holds').where({ key, status: 'held' }).update({ status: outcome, settled_at: trx.fn.now() }).returning(['user_id', 'amount', 'service']);
      if (!rows.length) {
        const row = await trx('holds').select('status').where({ key }).first();
        return { settled: false, status: row?.status as HoldStatus | undefined };
      }
      const { user_id: userId, amount, service } = rows[0] as { user_id: number; amount: number; service: string };
      const posting = await this.ledger.postIn(trx, {
        userId,
        kind: outcome === 'captured' ? 'capture' : 'release',
        amount: outcome === 'captured' ? 0 : Number(amount),
        idempotencyKey: `${outcome === 'captured' ? 'capture' : 'release'}:${key}`,
        reference: key,
        details: { service, ...(reason ? { reason } : {}) },
      });
      return { settled: true, status: outcome, posting };
    });
  }

  async status(key: string): Promise<HoldStatus | undefined> {
    const row = await this.knex('holds').select('status').where({ key }).first();
    return row?.status as HoldStatus | undefined;
  }

  /** Holds still open that were made more than `minutes` ago, oldest first. */
  async stale(minutes: number, limit = 500): Promise<OpenHold[]> {
    const rows = await this.knex('holds')
      .select('key', 'user_id', 'service', 'amount', 'queue', 'job_id', 'created_at')
      .where('status', 'held')
      .andWhere('created_at', '<', this.knex.raw(`now() - make_interval(mins => ?)`, [minutes]))
      .orderBy('created_at')
      .limit(limit);
    return rows.map((r) => ({ key: r.key, userId: Number(r.user_id), service: r.service, amount: Number(r.amount), queue: r.queue, jobId: r.job_id, createdAt: r.created_at }));
  }

  /** Services the user paid for (captured holds): how many times and how many coins, per service. */
  async usage(userId: number): Promise<{ service: string; count: number; coins: number }[]> {
    const { rows } = await this.knex.raw<{ rows: { service: string; count: string; coins: string }[] }>(
      `SELECT service, count(*) AS count, sum(amount) AS coins FROM holds
       WHERE user_id = ? AND status = 'captured' GROUP BY service ORDER BY service`,
      [userId],
    );
    return rows.map((r) => ({ service: String(r.service), count: Number(r.count), coins: Number(r.coins) }));
  }
}
