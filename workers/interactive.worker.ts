import { defineWorker, handlersOf } from '../src/jobs/handler.types';
import { accountHandlers } from '../src/domain/accounts/account.handlers';
import { billingHandlers } from '../src/domain/billing/billing.handlers';
import { dialogHandlers } from '../src/domain/accounts/dialog.handlers';

/**
 * interactive: the quick replies a user waits for — /start, /help and other canned texts, the cabinet views
 * (balance, prices, history, usage, settings, top-up offers and invoices), feedback, dialog restores, and the
 * pre-checkout answer Telegram waits at most 10 s for. Apart from `billing` so a burst of paid work, payments or
 * sweeps never queues in front of them. Database-bound like billing, so the same moderate concurrency.
 */
export const interactiveWorker = defineWorker({
  queue: 'interactive',
  concurrency: (config) => config.CONCURRENCY_INTERACTIVE,
  handlers: (deps) => handlersOf('interactive', { ...accountHandlers(deps), ...billingHandlers(deps), ...dialogHandlers(deps) }),
});
