import { TelegramBadRequestError } from '../../adapters/telegram.client';
import type { WorkerDeps } from '../../jobs/handler.types';
import { TelegramRefusedError, type RefundOutcome } from '../../repositories/payments.repository';

/**
 * Refunds a payment's Stars through the refund state machine (PaymentsRepository.refund): Telegram's "already
 * refunded" is success (a repeat after a crash), its other 400s a definite no (the coins go back), anything else is
 * thrown for a retry, which resumes where this run stopped. Used by /refund, a banned payer's payment and the sweep.
 */
export function refundCharge(deps: Pick<WorkerDeps, 'payments' | 'telegram'>, chargeId: string): Promise<RefundOutcome> {
  return deps.payments.refund(chargeId, async (telegramUserId) => {
    try {
      await deps.telegram.refundStarPayment(telegramUserId, chargeId);
    } catch (err) {
      if (err instanceof TelegramBadRequestError && /CHARGE_ALREADY_REFUNDED/i.test(err.message)) return;
      if (err instanceof TelegramBadRequestError) throw new TelegramRefusedError(err.message);
      throw err;
    }
  });
}
