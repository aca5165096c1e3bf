import { exitOnStartupError, loadConfig } from '../config';
import { createLogger } from '../lib/logger';
import { onShutdown } from '../lib/shutdown';
import { installCrashReporting } from '../observability/crash-reporter';
import { untilReachable } from '../adapters/telegram.client';
import { createBotRuntime } from './bot-runtime';
import { PollingLeader } from './polling';
import { Lifecycle } from '../observability/lifecycle';

/** The `bot` process: long polling behind a Redis lease (one leader, any number of warm standbys). */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, dir: config.LOG_DIR, retentionDays: config.LOG_RETENTION_DAYS, service: 'bot' });
  if (config.BOT_MODE === 'webhook') {
    throw new Error('BOT_MODE=webhook: updates arrive at the web process (POST /telegram/webhook); run `web` instead of `bot`');
  }
  const runtime = await createBotRuntime(config, log);
  const lifecycle = new Lifecycle(runtime.redis, config.QUEUE_PREFIX, runtime.enqueue, 'bot', config, log);
  installCrashReporting(log, runtime.alerts, 'bot', lifecycle);
  // Polling and the webhook exclude each other at Telegram; switching back to polling removes the webhook.
  await untilReachable('deleteWebhook', () => runtime.bot.telegram.deleteWebhook({ drop_pending_updates: false }), log, config.OUTAGE_BUDGET_MINUTES * 60_000);
  const poller = new PollingLeader(runtime.redis, runtime.bot.telegram, runtime.ingress, log, {
    prefix: config.QUEUE_PREFIX,
    botId: runtime.bot.botInfo!.id,
    leaseTtlMs: config.POLLING_LEASE_TTL_MS,
    timeoutSeconds: config.POLLING_TIMEOUT_SECONDS,
  });
  poller.start();
  log.info('bot started', { mode: 'polling', bot: runtime.bot.botInfo?.username, instance: poller.instance });
  onShutdown(
    log,
    async (signal) => {
      await lifecycle.stopped(signal);
      await poller.stop();
      await runtime.close();
    },
    config.SHUTDOWN_TIMEOUT_MS,
  );
  // After the signal handlers: a stop that comes while the notice is queued still stops cleanly.
  await lifecycle.started();
}

main().catch(exitOnStartupError);
