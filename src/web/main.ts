import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createBotRuntime, type BotRuntime } from '../bot/bot-runtime';
import { ALLOWED_UPDATES } from '../bot/ingress';
import { exitOnStartupError, loadConfig, type Config } from '../config';
import { createKnex } from '../db/knex';
import { QueueRegistry } from '../jobs/queues';
import { createLogger } from '../lib/logger';
import { attachCriticalLog } from '../observability/critical-log';
import { Lifecycle } from '../observability/lifecycle';
import { closeRedis, connectRedis, createRedis } from '../lib/redis';
import { onShutdown } from '../lib/shutdown';
import { BOARD_PATH, createWebApp, WEBHOOK_PATH } from './app';
import type { BoardAccount } from './board';
import { createMetricsRegistry } from '../observability/metrics.registry';
import { AdminAlerts } from '../observability/admin-alerts';
import { installCrashReporting } from '../observability/crash-reporter';
import { ChatPacer, chatLimits } from '../jobs/chat-pacer';
import { createEnqueue } from '../jobs/enqueue';
import { untilReachable } from '../adapters/telegram.client';
import { AuditRepository } from '../repositories/audit.repository';

/** Board accounts: the operator is required in production (elsewhere a one-off password is shown once); the viewer is optional. */
function boardAccounts(config: Config): BoardAccount[] {
  const accounts: BoardAccount[] = [];
  if (config.BOARD_USER && config.BOARD_PASSWORD) accounts.push({ user: config.BOARD_USER, password: config.BOARD_PASSWORD, role: 'operator' });
  else if (config.NODE_ENV === 'production') {
    throw new Error('BOARD_USER and BOARD_PASSWORD are required in production: Bull Board can retry, promote and delete jobs');
  } else {
    const password = randomBytes(12).toString('base64url');
    // Printed to the terminal for the local operator, deliberately not through the log pipeline.
    process.stderr.write(`Bull Board (development): user "admin", password "${password}" — set BOARD_USER/BOARD_PASSWORD to choose\n`);
    accounts.push({ user: config.BOARD_USER ?? 'admin', password, role: 'operator' });
  }
  if (config.BOARD_VIEWER_USER && config.BOARD_VIEWER_PASSWORD) {
    accounts.push({ user: config.BOARD_VIEWER_USER, password: config.BOARD_VIEWER_PASSWORD, role: 'viewer' });
  }
  return accounts;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, dir: config.LOG_DIR, retentionDays: config.LOG_RETENTION_DAYS, service: 'web' });
  const board = boardAccounts(config);
  // Readiness must answer "Redis is down" rather than hang: a fail-fast producer connection.
  const redis = createRedis(config, 'producer');
  await connectRedis(redis).catch((err: Error) => log.warn('Redis not reachable at start', { error: err.message }));
  attachCriticalLog(log, redis, config.QUEUE_PREFIX, config.CRITICAL_LOG_MAX);
  const knex = createKnex(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX ?? 5 }, { prepared: config.DATABASE_PREPARED_STATEMENTS === 'on' });
  let runtime: BotRuntime | undefined;
  if (config.BOT_MODE === 'webhook') {
    runtime = await createBotRuntime(config, log);
    const { bot } = runtime;
    await untilReachable(
      'setWebhook',
      () => bot.telegram.setWebhook(config.WEBHOOK_URL!, { secret_token: config.WEBHOOK_SECRET, allowed_updates: [...ALLOWED_UPDATES] }),
      log,
      config.OUTAGE_BUDGET_MINUTES * 60_000,
    );
  }
  const queues = runtime?.queues ?? new QueueRegistry(redis, config.QUEUE_PREFIX);
  const enqueue = runtime?.enqueue ?? createEnqueue(queues, new ChatPacer(redis, config.QUEUE_PREFIX, chatLimits(config)));
  const alerts = runtime?.alerts ?? new AdminAlerts(redis, config.QUEUE_PREFIX, enqueue, { windowSeconds: config.ALERT_WINDOW_SECONDS, delayMs: config.ALERT_DELAY_MS });
  const lifecycle = new Lifecycle(redis, config.QUEUE_PREFIX, enqueue, 'web', config, log);
  installCrashReporting(log, alerts, 'web', lifecycle);
  const app = createWebApp({
    log,
    redis,
    knex,
    queues,
    audit: new AuditRepository(knex),
    board,
    featuresOff: config.FEATURES_OFF,
    metrics: {
      registry: createMetricsRegistry(redis, config.QUEUE_PREFIX, queues, knex),
      user: config.METRICS_USER,
      password: config.METRICS_PASSWORD,
      allow: config.METRICS_ALLOW,
    },
    webhook: runtime ? { ingress: runtime.ingress, secret: config.WEBHOOK_SECRET! } : undefined,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.WEB_PORT, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  log.info('web started', { port: config.WEB_PORT, board: BOARD_PATH, webhook: runtime ? WEBHOOK_PATH : null });
  onShutdown(
    log,
    async (signal) => {
      await lifecycle.stopped(signal);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await queues.close();
      await runtime?.close();
      await Promise.all([closeRedis(redis), knex.destroy()]);
    },
    config.SHUTDOWN_TIMEOUT_MS,
  );
  // After the signal handlers: a stop that comes while the notice is queued still stops cleanly.
  await lifecycle.started();
}

main().catch(exitOnStartupError);
