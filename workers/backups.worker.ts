import { defineWorker } from '../src/jobs/handler.types';
import { backupHandlers } from '../src/domain/backups/backup.handlers';
import { checkBackupSetup } from '../src/domain/backups/setup';
import { schedule } from '../src/jobs/schedule';

/**
 * backups: pg_dump and its restore drills, one at a time across every replica (a Postgres advisory lock). Its own
 * process in the Procfile and compose, with BACKUP_DIR on a volume of its own.
 */
export const backupsWorker = defineWorker({
  queue: 'backups',
  concurrency: (config) => config.CONCURRENCY_BACKUPS,
  async start(deps) {
    const { config, queues, log } = deps;
    // Refuse to start without pg_dump/pg_restore able to read this server, or without a writable BACKUP_DIR.
    const setup = await checkBackupSetup(config);
    // Every replica upserts the same schedulers (idempotent): one run and one drill per tick, whoever takes them.
    await schedule(queues, 'backup.run', config.BACKUP_CRON ? { pattern: config.BACKUP_CRON, tz: 'UTC' } : null, { trigger: 'schedule' });
    await schedule(queues, 'backup.verify', config.BACKUP_VERIFY_CRON ? { pattern: config.BACKUP_VERIFY_CRON, tz: 'UTC' } : null, {});
    log.info('backups ready', { ...setup, schedule: config.BACKUP_CRON ?? 'off', drill_schedule: config.BACKUP_VERIFY_CRON ?? 'off' });
  },
  handlers: (deps) => backupHandlers(deps),
});
