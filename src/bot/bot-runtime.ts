import { Telegraf } from 'telegraf';
import type { Config } from '../config';
import { createBatchedEnqueue, type Enqueue } from '../jobs/enqueue';
import { untilReachable } from '../adapters/telegram.client';
import { QueueRegistry } from '../jobs/queues';
import type { Logger } from '../lib/logger';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../lib/redis';
import type { BotContext } from './context';
import { Ingress } from './ingress';
import { publishCommands } from './commands';
import { SharedMetrics } from '../observability/shared-metrics';
import { ChatPacer, chatLimits } from '../jobs/chat-pacer';
import { AdminAlerts } from '../observability/admin-alerts';
import { attachCriticalLog } from '../observability/critical-log';
import { startProcessStats } from '../observability/process-stats';

export interface BotRuntime {
  ingress: Ingress;
  /** The bot's producer (batched enqueue with the chat pacer). */
  enqueue: Enqueue;
  alerts: AdminAlerts;
  bot: Telegraf<BotContext>;
  redis: RedisClient;
  queues: QueueRegistry;
  close(): Promise<void>;
}

/** What the bot process and the web process (webhook mode) share: RedisClient, the queues, telegraf, the ingress. */
export async function createBotRuntime(config: Config, log: Logger): Promise<BotRuntime> {
  if (!config.BOT_TOKEN) throw new Error('BOT_TOKEN is not set (npm start sets one for the local sandbox)');
  const redis = await connectRedis(createRedis(config, 'producer'));
  try {
    const queues = new QueueRegistry(redis, config.QUEUE_PREFIX);
    attachCriticalLog(log, redis, config.QUEUE_PREFIX, config.CRITICAL_LOG_MAX);
    // This process's CPU and memory, for the web process's /metrics (switchyard_process_*{process="bot"}).
    const stopStats = startProcessStats(redis, config.QUEUE_PREFIX, 'bot');
    const bot = new Telegraf<BotContext>(config.BOT_TOKEN, {
      telegram: { apiRoot: config.TELEGRAM_API_ROOT },
      // Below the ingress's chat-lock TTL (10 s): a handler never outlives the lock that serialises its chat.
      handlerTimeout: 8_000,
    });
    const botInfo = await untilReachable('getMe', () => bot.telegram.getMe(), log, config.OUTAGE_BUDGET_MINUTES * 60_000);
    await publishCommands(bot.telegram, log);
    const metrics = new SharedMetrics(redis, config.QUEUE_PREFIX);
    const pacer = new ChatPacer(redis, config.QUEUE_PREFIX, chatLimits(config));
    const enqueue = createBatchedEnqueue(queues, pacer);
    const ingress = new Ingress({ config, redis, enqueue, log, botInfo, bot, metrics });
    const alerts = new AdminAlerts(redis, config.QUEUE_PREFIX, enqueue, { windowSeconds: config.ALERT_WINDOW_SECONDS, delayMs: config.ALERT_DELAY_MS });
    return {
      ingress,
      enqueue,
      alerts,
      bot,
      redis,
      queues,
      async close() {
        await stopStats();
        await metrics.close().catch(() => undefined);
        await queues.close();
        await closeRedis(redis);
      },
    };
  } catch (err) {
    await closeRedis(redis);
    throw err;
  }
}
