import { z } from 'zod';
import { defineJob } from '../../jobs/define';
import { requesterSchema } from '../../jobs/payloads';

/**
 * The backups feature's jobs (their handlers: src/domain/backups/*.handlers.ts). Assembled with every feature's
 * into the catalogue by src/jobs/catalogue.ts. Imports only zod, the job machinery's definitions and payload schemas:
 * the bot loads this file, so nothing here may reach Postgres.
 */
export const backupsJobs = {
  /**
   * Scheduled (BACKUP_CRON), `/backup`, or added in Bull Board: `pg_dump -Fc` into BACKUP_DIR in an exported snapshot,
   * with every table's rows and checksum taken in the same snapshot; then its restore drill is queued. One at a time
   * across every replica (a Postgres advisory lock): a run that finds another running is refused.
   */
  'backup.run': defineJob({
    queue: 'backups',
    description: 'pg_dump -Fc into BACKUP_DIR (exported snapshot, per-table checksums, sha256); then queue its restore drill',
    options: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
    payload: z.object({ trigger: z.enum(['schedule', 'admin', 'board']).default('board'), requestedBy: requesterSchema.optional() }),
  }),
  /**
   * The restore drill of one backup (after each run), or of the newest kept one (BACKUP_VERIFY_CRON): sha256, then
   * pg_restore into a scratch database, every table's rows and checksum compared with the dump's, the scratch database
   * dropped, the verdict recorded; a passed drill applies retention. Waits while a dump or another drill runs.
   */
  'backup.verify': defineJob({
    queue: 'backups',
    description: 'restore drill: sha256, pg_restore into a scratch database, compare rows and checksums with the dump time, drop it, record; then retention',
    options: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
    payload: z.object({ backupId: z.number().int().positive().optional(), requestedBy: requesterSchema.optional() }),
  }),
} as const;
