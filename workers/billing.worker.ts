import { defineWorker, handlersOf } from '../src/jobs/handler.types';
import { adminHandlers } from '../src/domain/accounts/admin.handlers';
import { billingHandlers } from '../src/domain/billing/billing.handlers';
import { retentionHandlers } from '../src/domain/retention.handlers';

/**
 * billing: money and maintenance — payments credited and refunded, reconciliation, hold sweeps, the outbox relay,
 * retention, admin commands (/grant and /refund move coins). Database-bound, so a moderate concurrency. The quick
 * replies run on `interactive` (workers/interactive.worker.ts), so none of this holds them back.
 */
export const billingWorker = defineWorker({
  queue: 'billing',
  concurrency: (config) => config.CONCURRENCY_BILLING,
  handlers: (deps) => handlersOf('billing', { ...adminHandlers(deps), ...billingHandlers(deps), ...retentionHandlers(deps) }),
});
