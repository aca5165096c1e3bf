import { defineWorker } from '../src/jobs/handler.types';
import { notificationHandlers } from '../src/domain/notifications/message.handlers';

/** notifications: every outbound message. Network-bound, so a high concurrency. */
export const notificationsWorker = defineWorker({
  queue: 'notifications',
  concurrency: (config) => config.CONCURRENCY_NOTIFICATIONS,
  handlers: (deps) => notificationHandlers(deps),
});
