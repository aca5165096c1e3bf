import { defineWorker } from '../src/jobs/handler.types';
import { notificationHandlers } from '../src/domain/notifications/message.handlers';

/** notifications: every outbound message. Network-bound, so a high concurrency. */
export const notificationsWorker = defineWorker({
  queue: 'notifications',
  concurrency: (config) => config.CONCURRENCY_NOTIFICATIONS,
  // Telegram's global limit (≈ 30 msg/s per bot), across all notification workers together.
  limiter: (config) => ({ max: config.TELEGRAM_GLOBAL_RATE, duration: 1_000 }),
  handlers: (deps) => notificationHandlers(deps),
});
