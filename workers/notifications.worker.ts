import { defineWorker } from '../src/jobs/handler.types';
import { notificationHandlers } from '../src/domain/notifications/message.handlers';

/**
 * notifications: every outbound message. Network-bound, so a high concurrency. Telegram's limits (global, per chat,
 * per group, 429 pauses) are kept by the chat pacer in Redis rather than BullMQ's limiter: a job waiting for its
 * chat's turn must not use up the global sending rate.
 */
export const notificationsWorker = defineWorker({
  queue: 'notifications',
  concurrency: (config) => config.CONCURRENCY_NOTIFICATIONS,
  async start(deps) {
    // Every replica upserts the same scheduler (idempotent): one prune a day, whoever takes it.
    await deps.queues.get('notifications').upsertJobScheduler('receipts.prune', { pattern: '30 4 * * *', tz: 'UTC' }, { name: 'receipts.prune', data: {} });
  },
  handlers: (deps) => notificationHandlers(deps),
});
