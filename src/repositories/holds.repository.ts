import type { Knex } from 'knex';
import type { LedgerRepository, PostingResult } from './ledger.repository';

export type HoldStatus = 'held' | 'captured' | 'released';

export interface HoldRequest {
  userId: number;
  /** The paid request's domain id (`avatar:<chat>:<message>`): one hold per request, whatever the retries. */
  key: string;
  service: string;
  amount: number;
  /**
   * What is paid for, when two requests may ask for the same thing at once (a recording's file_unique_id): while one
   * holds for it, another gets `busy` and waits (one open hold per user, service and source).
   */
  source?: string;
  /** The job doing the work: the sweep asks BullMQ whether it is still alive. */
  queue: string;
  jobId: string;
}

export interface HoldResult {
  /**
   * The hold's state now: `held` (just made, or made by an earlier run), or already settled by an earlier run; `busy`
   * when another request holds for the same source (nothing was held).
   */
  status: HoldStatus | 'busy';
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

  /**
   * Holds the coins, or finds the hold an earlier run of the same request made. Throws InsufficientFundsError.
   * One statement: the hold row and its entry are written (and the balance changed) together or not at all.
   */
  async hold(h: HoldRequest): Promise<HoldResult> {
    const posting = await this.ledger.execute(
      this.knex,
      {
        gate: {
          sql: `gate AS (
            INSERT INTO holds (user_id, key, service, amount, queue, job_id, source) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING RETURNING id
          ),`,
          bindings: [h.userId, h.key, h.service, h.amount, h.queue, h.jobId, h.source ?? null],
        },
        entry: {
          sql: `SELECT ?::bigint, 'hold', ?::bigint, ?::text, ?::text, ?::jsonb FROM gate`,
          bindings: [h.userId, -h.amount, `hold:${h.key}`, h.key, JSON.stringify({ service: h.service })],
        },
        user: { sql: '?::bigint', bindings: [h.userId] },
        need: h.amount,
      },
      'id',
    );
    if (!posting.gate) {
      // Either this request's own hold (an earlier run made it), or another request's open hold for the same source.
      const row = await this.knex('holds').select('status').where({ key: h.key }).first();
      return { status: row ? (row.status as HoldStatus) : 'busy', created: false };
    }
    // Remembered on the hold: the user hears of the crossing once the coins are really spent (see paid-work.ts).
    if (posting.lowBalance) await this.knex('holds').where({ key: h.key }).update({ crossed_low: true });
    return { status: 'held', created: true, posting };
  }

  /**
   * Settles an open hold: `captured` (work delivered; no coins move) or `released` (coins back). One statement: the
   * status changes from `held` at most once, with its entry. False if it was settled already.
   */
  async settle(
    key: string,
    outcome: 'captured' | 'released',
    reason?: string,
    /** More CTEs that read `gate` (the outbox's rows of what must follow the capture): they commit with it, or not at all. */
    after?: { sql: string; bindings: unknown[] },
  ): Promise<{ settled: boolean; status: HoldStatus | undefined; posting?: PostingResult; crossedLow?: boolean }> {
    const kind = outcome === 'captured' ? 'capture' : 'release';
    const posting = await this.ledger.execute(
      this.knex,
      {
        gate: {
          sql: `gate AS (
            UPDATE holds SET status = ?, settled_at = now() WHERE key = ? AND status = 'held' RETURNING user_id, amount, service, crossed_low
          ),${after?.sql ?? ''}`,
          bindings: [outcome, key, ...(after?.bindings ?? [])],
        },
        entry: {
          sql: `SELECT user_id, ?::text, CASE WHEN ?::boolean THEN amount ELSE 0 END, ?::text, ?::text, jsonb_build_object('service', service) || ?::jsonb FROM gate`,
          bindings: [kind, outcome === 'released', `${kind}:${key}`, key, JSON.stringify(reason ? { reason } : {})],
        },
        user: { sql: '(SELECT user_id FROM holds WHERE key = ?)', bindings: [key] },
        need: 0,
      },
      'user_id, crossed_low',
    );
    if (!posting.gate) return { settled: false, status: await this.status(key) };
    // Whether the hold took the balance below the low-balance threshold (read with the settlement, no extra query).
    return { settled: true, status: outcome, posting, crossedLow: posting.gate.crossed_low === true };
  }

  /** Whether the hold took the balance below the low-balance threshold, and the balance now (for the notice). */
  async crossedLow(key: string): Promise<{ crossed: boolean; balance: number }> {
    const row = await this.knex('holds as h').join('balances as b', 'b.user_id', 'h.user_id').where('h.key', key).first('h.crossed_low', 'b.coins');
    return { crossed: row?.crossed_low === true, balance: Number(row?.coins ?? 0) };
  }

  /** True while another request (not `key`) holds for the same source: the cheap check before any work. */
  async busy(userId: number, service: string, source: string, key: string): Promise<boolean> {
    const row = await this.knex('holds').where({ user_id: userId, service, source, status: 'held' }).whereNot({ key }).first('id');
    return row !== undefined;
  }

  /** A request's hold: its state and the job that made it (a later job with the same key is a repeat request). */
  async find(key: string): Promise<{ status: HoldStatus; jobId: string } | undefined> {
    const row = await this.knex('holds').where({ key }).first('status', 'job_id');
    return row ? { status: row.status, jobId: row.job_id } : undefined;
  }

  async status(key: string): Promise<HoldStatus | undefined> {
    const row = await this.knex('holds').select('status').where({ key }).first();
    return row?.status as HoldStatus | undefined;
  }

  /** A page of holds still open that were made more than `minutes` ago, after hold id `afterId` (keyset paging). */
  async stale(minutes: number, afterId = 0, limit = 500): Promise<(OpenHold & { id: number })[]> {
    const rows = await this.knex('holds')
      .select('id', 'key', 'user_id', 'service', 'amount', 'queue', 'job_id', 'created_at')
      .where('status', 'held')
      .andWhere('id', '>', afterId)
      .andWhere('created_at', '<', this.knex.raw(`now() - make_interval(mins => ?)`, [minutes]))
      .orderBy('id')
      .limit(limit);
    return rows.map((r) => ({ id: Number(r.id), key: r.key, userId: Number(r.user_id), service: r.service, amount: Number(r.amount), queue: r.queue, jobId: r.job_id, createdAt: r.created_at }));
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
