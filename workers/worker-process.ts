import type { Config } from '../src/config';
import { TelegramClient } from '../src/adapters/telegram.client';
import { createKnex } from '../src/db/knex';
import { createLogger, type Logger } from '../src/lib/logger';
import { attachCriticalLog, CriticalLog } from '../src/observability/critical-log';
import { startProcessStats } from '../src/observability/process-stats';
import { DialogMirror } from '../src/jobs/dialog-mirror';
import { DialogStatesRepository } from '../src/repositories/dialog-states.repository';
import { closeRedis, connectRedis, createRedis, type RedisClient } from '../src/lib/redis';
import { AuditRepository } from '../src/repositories/audit.repository';
import { SharedMetrics } from '../src/observability/shared-metrics';
import { AdminAlerts } from '../src/observability/admin-alerts';
import { ChatPacer, chatLimits } from '../src/jobs/chat-pacer';
import { BroadcastTally } from '../src/jobs/broadcast-tally';
import { ReceiptsRepository } from '../src/repositories/receipts.repository';
import { LedgerRepository } from '../src/repositories/ledger.repository';
import { HoldsRepository } from '../src/repositories/holds.repository';
import { PaymentsRepository } from '../src/repositories/payments.repository';
import { OutboxRepository } from '../src/repositories/outbox.repository';
import { SystemStateRepository } from '../src/repositories/system-state.repository';
import { AvatarsRepository } from '../src/repositories/avatars.repository';
import { UsersRepository } from '../src/repositories/users.repository';
import { TranscriptsRepository } from '../src/repositories/transcripts.repository';
import { BackupsRepository } from '../src/repositories/backups.repository';
import { Keyring } from '../src/lib/crypto';
import { createEnqueue } from '../src/jobs/enqueue';
import { restoreSchedules, schedule } from '../src/jobs/schedule';
import type { QueueWorkerDefinition, WorkerDeps } from '../src/jobs/handler.types';
import { QueueRegistry } from '../src/jobs/queues';
import { startWorkers, type RunningWorkers } from '../src/jobs/worker-runner';

export interface WorkerProcess {
  running: RunningWorkers;
  deps: WorkerDeps;
  /** The producer connection (queues, scripts, notices). */
  redis: RedisClient;
  /** Stop taking jobs, finish in-flight ones within the bound, close Redis and Postgres. */
  close(): Promise<void>;
}

/** Builds the dependencies and starts the selected queues' workers (the `worker` process, and tests). */
export async function startWorkerProcess(
  config: Config,
  defs: QueueWorkerDefinition[],
  log: Logger = createLogger({ level: config.LOG_LEVEL, dir: config.LOG_DIR, retentionDays: config.LOG_RETENTION_DAYS, service: 'worker' }),
): Promise<WorkerProcess> {
  if (!config.BOT_TOKEN) throw new Error('BOT_TOKEN is not set (npm start sets one for the local sandbox)');
  const workerConnection = await connectRedis(createRedis(config, 'worker'));
  const producerConnection = await connectRedis(createRedis(config, 'producer'));
  // The hot path (every job's statements) goes through DATABASE_URL, a pooler when there is one (docs/SCALING.md).
  const knex = createKnex(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX ?? 10 }, { prepared: config.DATABASE_PREPARED_STATEMENTS === 'on' });
  const queues = new QueueRegistry(producerConnection, config.QUEUE_PREFIX);
  attachCriticalLog(log, producerConnection, config.QUEUE_PREFIX, config.CRITICAL_LOG_MAX);
  // This process's CPU and memory, for the web process's /metrics (switchyard_process_*{process="worker"}).
  const stopStats = startProcessStats(producerConnection, config.QUEUE_PREFIX, 'worker');
  const metrics = new SharedMetrics(producerConnection, config.QUEUE_PREFIX);
  const pacer = new ChatPacer(producerConnection, config.QUEUE_PREFIX, chatLimits(config));
  const enqueue = createEnqueue(queues, pacer);
  const ledger = new LedgerRepository(knex, { lowBalanceThreshold: config.LOW_BALANCE_THRESHOLD });
  const keyring = Keyring.fromConfig(config);
  const botId = Number(config.BOT_TOKEN.split(':')[0]);
  const settleDialogs = (): Promise<void> =>
    deps.dialogs.settle(botId).then(
      (opened) => {
        if (opened) log.warn('Redis had lost its dialog states; restoring them from Postgres as users come back', { window_s: config.FSM_TTL_SECONDS });
      },
      (err: Error) => {
        log.debug('dialog store not checked', { error: err.message });
      },
    );
  const deps: WorkerDeps = {
    config,
    log,
    knex,
    users: new UsersRepository(knex),
    audit: new AuditRepository(knex),
    receipts: new ReceiptsRepository(knex),
    ledger,
    holds: new HoldsRepository(knex, ledger),
    payments: new PaymentsRepository(knex, ledger),
    outbox: new OutboxRepository(knex),
    state: new SystemStateRepository(knex),
    avatars: new AvatarsRepository(knex),
    transcripts: new TranscriptsRepository(knex, keyring),
    keyring,
    backups: new BackupsRepository(knex),
    criticalLog: new CriticalLog(producerConnection, config.QUEUE_PREFIX),
    dialogs: new DialogMirror(producerConnection, config.QUEUE_PREFIX, new DialogStatesRepository(knex), config.FSM_TTL_SECONDS),
    telegram: new TelegramClient(config.BOT_TOKEN, config.TELEGRAM_API_ROOT, metrics, config.TELEGRAM_TIMEOUT_SECONDS * 1_000),
    enqueue,
    queues,
    pacer,
    broadcasts: new BroadcastTally(producerConnection, config.QUEUE_PREFIX),
    metrics,
    alerts: new AdminAlerts(producerConnection, config.QUEUE_PREFIX, enqueue, { windowSeconds: config.ALERT_WINDOW_SECONDS, delayMs: config.ALERT_DELAY_MS }),
  };
  const closeConnections = async () => {
    await metrics.close().catch(() => undefined);
    await queues.close();
    // BullMQ does not close connections it was given.
    await Promise.all([closeRedis(workerConnection), closeRedis(producerConnection), knex.destroy()]);
  };
  let running: RunningWorkers;
  try {
    if (config.WORKER_QUEUES.includes('billing')) {
      // Every billing replica upserts the same scheduler (idempotent): one sweep a minute, whoever runs it.
      await schedule(queues, 'billing.sweep', { every: 60_000 }, {});
      await schedule(queues, 'outbox.relay', { every: config.OUTBOX_RELAY_SECONDS * 1_000 }, {});
      await schedule(queues, 'retention.prune', { pattern: '40 4 * * *', tz: 'UTC' }, {});
      await schedule(queues, 'payments.reconcile', config.RECONCILE_EVERY_MINUTES ? { every: config.RECONCILE_EVERY_MINUTES * 60_000 } : null, {});
    }
    for (const def of defs.filter((d) => config.WORKER_QUEUES.includes(d.queue))) await def.start?.(deps);
    await settleDialogs();
    running = startWorkers(defs, config.WORKER_QUEUES, deps, workerConnection, config.QUEUE_PREFIX);
  } catch (err) {
    await closeConnections();
    throw err;
  }
  log.info('workers started', { queues: running.workers.map((w) => w.name) });
  // Redis flushed (or restored from an older file) loses the job schedulers with everything else: put ours back.
  // It loses the dialog states too: the epoch tells the bot to have them restored (src/jobs/dialog-mirror.ts).
  const keeper = setInterval(() => {
    void settleDialogs();
    restoreSchedules(queues).then(
      (names) => names.length && log.warn('job schedules were missing from Redis; restored', { names }),
      (err: Error) => log.debug('job schedules not checked', { error: err.message }),
    );
  }, config.SCHEDULES_CHECK_SECONDS * 1_000);
  keeper.unref();
  return {
    running,
    deps,
    redis: producerConnection,
    async close() {
      clearInterval(keeper);
      await running.close(config.SHUTDOWN_TIMEOUT_MS);
      await stopStats();
      await closeConnections();
    },
  };
}
