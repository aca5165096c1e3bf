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
  | { outcome: 'refunded'; balance: number; userId: number; coins: number; stars: number; posting: PostingResult }
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

  /** Records the payment and credits its coins, once per charge id. `applied: false` → it had been credited before. */
  credit(p: PaymentRecord): Promise<PostingResult> {
    return this.knex.transaction(async (trx) => {
      await trx('payments')
        .insert({ user_id: p.userId, telegram_payment_charge_id: p.chargeId, package: p.packageId, currency: p.currency, stars: p.stars, coins: p.coins })
        .onConflict('telegram_payment_charge_id')
        .ignore();
      // Keyed by the charge too: whichever of the two rows exists already, the other cannot be added twice.
      return this.ledger.post(
        { userId: p.userId, kind: 'topup', amount: p.coins, idempotencyKey: `topup:${p.chargeId}`, reference: p.chargeId, details: { package: p.packageId, stars: p.stars } },
        trx,
      );
    });
  }

  /**
   * Takes the coins of a payment back and refunds its Stars, or says why not. The debit and the Telegram call
   * happen under the payment's and the balance's row locks: if Telegram refuses, nothing is debited; if the coins
   * were spent, Telegram is not asked. `refundStars` must accept a charge Telegram already refunded (a retry).
   */
  refund(chargeId: string, refundStars: (telegramUserId: number) => Promise<void>): Promise<RefundOutcome> {
    return this.knex.transaction(async (trx) => {
      const payment = await trx('payments as p')
        .join('users as u', 'u.id', 'p.user_id')
        .select('p.id', 'p.user_id', 'p.coins', 'p.stars', 'p.status', 'u.telegram_id')
        .where('p.telegram_payment_charge_id', chargeId)
        .forUpdate('p')
        .first();
      if (!payment) return { outcome: 'unknown' };
      if (payment.status === 'refunded') return { outcome: 'already_refunded' };
      const userId = Number(payment.user_id);
      const coins = Number(payment.coins);
      const balance = await this.ledger.lockBalance(trx, userId);
      if (balance < coins) return { outcome: 'spent', balance, coins };
      const posting = await this.ledger.post(
        { userId, kind: 'refund', amount: -coins, idempotencyKey: `refund:${chargeId}`, reference: chargeId, details: { stars: payment.stars } },
        trx,
      );
      await trx('payments').where({ id: payment.id }).update({ status: 'refunded', refunded_at: trx.fn.now() });
      await refundStars(Number(payment.telegram_id));
      return { outcome: 'refunded', balance: posting.balance, userId, coins, stars: Number(payment.stars), posting };
    });
  }
}
