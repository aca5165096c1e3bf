import { defineWorker } from '../src/jobs/handler.types';
import { accountHandlers } from '../src/domain/accounts/account.handlers';
import { adminHandlers } from '../src/domain/accounts/admin.handlers';
import { billingHandlers } from '../src/domain/billing/billing.handlers';
import { retentionHandlers } from '../src/domain/retention.handlers';
import { dialogHandlers } from '../src/domain/accounts/dialog.handlers';

/** billing: accounts and (later) the coins ledger. Database-bound, so a moderate concurrency. */
export const billingWorker = defineWorker({
  queue: 'billing',
  concurrency: (config) => config.CONCURRENCY_BILLING,
  handlers: (deps) => ({ ...accountHandlers(deps), ...adminHandlers(deps), ...billingHandlers(deps), ...retentionHandlers(deps), ...dialogHandlers(deps) }),
});
