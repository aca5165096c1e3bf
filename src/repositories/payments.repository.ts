import type { Knex } from 'knex';
import type { LedgerRepository, PostingResult } from './ledger.repository';

export interface PaymentRecord {
  userId: number;
  chargeId: string;
  packageId: string;
  currency: string;
  stars: number;
  coins: number;
}

export type RefundOutcome =
  | { outcome: 'refunded'; balance: number; userId: number; coins: number; stars: number; posting: PostingResult | undefined }
  | { outcome: 'telegram_refused'; reason: string }
  | { outcome: 'unknown' }
  | { outcome: 'already_refunded' }
  | { outcome: 'spent'; balance: number; coins: number };

/**
 * Telegram Stars payments. `telegram_payment_charge_id` is unique, so a `successful_payment` delivered twice (or a
 * retried job) credits once; the credit's ledger entry commits in the same transaction as the payment row.
 */
export class PaymentsRepository {
  constructor(
    private readonly knex: Knex,
    private readonly ledger: LedgerRepository,
  ) {}

  /**
   * Records the payment and credits its coins, once per charge id. `applied: false` → it had been credited before.
   * `within` runs in the same transaction after the credit (the outbox rows of what must follow it).
   */
  credit(p: PaymentRecord, within?: (trx: Knex.Transaction, posting: PostingResult) => Promise<void>): Promise<PostingResult> {
    return this.knex.transaction(async (trx) => {
      // The balance row first: a user's first posting inside a transaction must not race another's insert of it.
      await trx.raw('INSERT INTO balances (user_id, coins) VALUES (?, 0) ON CONFLICT (user_id) DO NOTHING', [p.userId]);
      await trx('payments')
        .insert({ user_id: p.userId, telegram_payment_charge_id: p.chargeId, package: p.packageId, currency: p.currency, stars: p.stars, coins: p.coins })
        .onConflict('telegram_payment_charge_id')
        .ignore();
      // Keyed by the charge too: whichever of the two rows exists already, the other cannot be added twice.
      const posting = await this.ledger.post(
        { userId: p.userId, kind: 'topup', amount: p.coins, idempotencyKey: `topup:${p.chargeId}`, reference: p.chargeId, details: { package: p.packageId, stars: p.stars } },
        trx,
      );
      await within?.(trx, posting);
      return posting;
    });
  }

  /** Which of these charge ids have a `payments` row (any status). */
  async known(chargeIds: string[]): Promise<Set<string>> {
    if (!chargeIds.length) return new Set();
    const rows = await this.knex('payments').whereIn('telegram_payment_charge_id', chargeIds).pluck('telegram_payment_charge_id');
    return new Set(rows.map(String));
  }

  /**
   * A payment that matches no invoice of ours (it cannot happen after a good pre-checkout, but money arrived):
   * recorded with no coins and status `unmatched`, so an admin can /refund it or /grant by hand. No ledger entry,
   * so the charge's `topup:` key stays free for a later, successful credit.
   */
  async recordUnmatched(p: Omit<PaymentRecord, 'coins'>): Promise<void> {
    await this.knex('payments')
      .insert({ user_id: p.userId, telegram_payment_charge_id: p.chargeId, package: p.packageId, currency: p.currency, stars: p.stars, coins: 0, status: 'unmatched' })
      .onConflict('telegram_payment_charge_id')
      .ignore();
  }

  /**
   * Takes the coins of a payment back and refunds its Stars, or says why not: a state machine that is safe to run
   * again from any state (a retry, the sweep, a second admin), with no row locked while Telegram is asked:
   *  1. `paid` (or `unmatched`), under the payment's and the balance's row locks: refuse if the coins were spent;
   *     else start attempt n = refund_attempts + 1 — post its `refund` entry and mark the payment `refunding`
   *     (committed). `refunding` already: resume that attempt. `refunded`: done before.
   *  2. ask Telegram (`refundStars`; it must treat "already refunded" as success, so a repeat is safe);
   *  3. mark it `refunded` — or, if Telegram definitely refused (`TelegramRefusedError`), give attempt n's coins back
   *     (its own `refund-undo` entry) and mark it as it was; only the run that moves the status does either. Any
   *     other error is thrown: a retry resumes at 2.
   */
  async refund(chargeId: string, refundStars: (telegramUserId: number) => Promise<void>): Promise<RefundOutcome> {
    const step1 = await this.knex.transaction(async (trx) => {
      const payment = await trx('payments as p')
        .join('users as u', 'u.id', 'p.user_id')
        .select('p.id', 'p.user_id', 'p.coins', 'p.stars', 'p.status', 'p.package', 'p.refund_attempts', 'u.telegram_id')
        .where('p.telegram_payment_charge_id', chargeId)
        .forUpdate('p')
        .first();
      if (!payment) return { outcome: 'unknown' as const };
      if (payment.status === 'refunded') return { outcome: 'already_refunded' as const };
      const userId = Number(payment.user_id);
      const coins = Number(payment.coins);
      const base = { paymentId: Number(payment.id), userId, coins, stars: Number(payment.stars), telegramId: Number(payment.telegram_id), from: payment.package === 'unmatched' ? 'unmatched' : 'paid' };
      // An earlier run got this far: straight on to Telegram with the same attempt. (`from`: the status a refusal
      // returns to, read from the package, since the status says `refunding` by then.)
      if (payment.status === 'refunding') return { outcome: 'go' as const, ...base, attempt: Number(payment.refund_attempts), posting: undefined };
      const attempt = Number(payment.refund_attempts) + 1;
      const balance = await this.ledger.lockBalance(trx, userId);
      if (balance < coins) return { outcome: 'spent' as const, balance, coins };
      const posting =
        coins > 0
          ? await this.ledger.post({ userId, kind: 'refund', amount: -coins, idempotencyKey: refundEntryKey('refund', chargeId, attempt), reference: chargeId, details: { stars: payment.stars } }, trx)
          : undefined;
      await trx('payments').where({ id: payment.id }).update({ status: 'refunding', refund_attempts: attempt, refund_started_at: trx.fn.now() });
      return { outcome: 'go' as const, ...base, attempt, posting };
    });
    if (step1.outcome !== 'go') return step1;
    const { paymentId, userId, coins, stars, telegramId, attempt, from } = step1;
    try {
      await refundStars(telegramId);
    } catch (err) {
      if (!(err instanceof TelegramRefusedError)) throw err;
      await this.knex.transaction(async (trx) => {
        // Only the run that moves this attempt out of `refunding` gives its coins back.
        const moved = await trx('payments').where({ id: paymentId, status: 'refunding', refund_attempts: attempt }).update({ status: from });
        if (moved && coins > 0) {
          await this.ledger.post({ userId, kind: 'refund', amount: coins, idempotencyKey: refundEntryKey('refund-undo', chargeId, attempt), reference: chargeId, details: { telegram: err.message.slice(0, 200) } }, trx);
        }
      });
      return { outcome: 'telegram_refused', reason: err.message };
    }
    await this.knex('payments').where({ id: paymentId, status: 'refunding' }).update({ status: 'refunded', refunded_at: this.knex.fn.now() });
    const balance = await this.ledger.balance(userId);
    return { outcome: 'refunded', balance, userId, coins, stars, posting: step1.posting };
  }

  /** Charge ids of refunds left in `refunding` for more than `minutes` (their job died between the steps). */
  async stuckRefunds(minutes: number, limit = 100): Promise<string[]> {
    const rows = await this.knex('payments')
      .select('telegram_payment_charge_id')
      .where({ status: 'refunding' })
      .andWhere('refund_started_at', '<', this.knex.raw('now() - make_interval(mins => ?)', [minutes]))
      .orderBy('refund_started_at')
      .limit(limit);
    return rows.map((r: { telegram_payment_charge_id: string }) => r.telegram_payment_charge_id);
  }
}

/** The ledger key of refund attempt n: the first keeps the key refunds always had. */
function refundEntryKey(kind: 'refund' | 'refund-undo', chargeId: string, attempt: number): string {
  return attempt <= 1 ? `${kind}:${chargeId}` : `${kind}:${chargeId}:${attempt}`;
}

/** Telegram definitely refused the refund (not a network or server error): the coins are given back. */
export class TelegramRefusedError extends Error {
  override readonly name = 'TelegramRefusedError';
}
