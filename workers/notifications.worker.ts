import { defineWorker } from '../src/jobs/handler.types';
import { notificationHandlers } from '../src/domain/notifications/message.handlers';
import { schedule } from '../src/jobs/schedule';

/**
 * notifications: every outbound message. Network-bound, so a high concurrency. Telegram's limits (global, per chat,
 * per group, 429 pauses) are kept by the chat pacer in Redis rather than BullMQ's limiter: a job waiting for its
 * chat's turn must not use up the global sending rate.
 */
export const notificationsWorker = defineWorker({
  queue: 'notifications',
  concurrency: (config) => config.CONCURRENCY_NOTIFICATIONS,
  async start(deps) {
    // One prune a day (RECEIPTS_KEEP_DAYS=0 keeps receipts for ever: no schedule).
    await schedule(deps.queues, 'receipts.prune', deps.config.RECEIPTS_KEEP_DAYS > 0 ? { pattern: '30 4 * * *', tz: 'UTC' } : null, {});
  },
  handlers: (deps) => notificationHandlers(deps),
});
