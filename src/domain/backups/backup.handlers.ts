import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { HandlerMap, JobContext, WorkerDeps } from '../../jobs/handler.types';
import type { Language } from '../../jobs/payloads';
import { isHandedBack, isLastTry } from '../../jobs/failures';
import { dumpDatabase, PgToolError, restoreDatabase, sha256File } from '../../adapters/postgres-tools';
import { databaseOf, onServer, withClient, withDatabase } from '../../db/knex';
import type { BackupRecord } from '../../repositories/backups.repository';
import { compareManifests, fingerprintTables, readFingerprints, totalRows, type Manifest } from '../../db/fingerprint';
import { selectPrunable } from './retention';
import { BackupSession } from './session';
import { backupDir, drillPrefix, dropOrphanDrills, megabytes, sidecarOf, type Sidecar } from './backup-files';

/** A drill that proved the backup unusable: recorded, alerted, never retried (a retry would read the same file). */
export class DrillFailedError extends UnrecoverableError {
  override readonly name = 'DrillFailedError';
}

/** How long a drill waits before trying again when a dump or another drill holds the lock. */
const LOCK_WAIT_MS = 5_000;
/** A drill that lost its lock runs again this many times without spending an attempt. */
const LOCK_LOSSES = 3;

/**
 * `backup.run` and `backup.verify` (docs/BACKUPS.md). Both hold the backups advisory lock for their whole run; the
 * drill's scratch database lives on the same server as the source. Everything here that needs a session of its own
 * (the lock, the exported snapshot, pg_dump, pg_restore, CREATE / DROP DATABASE) goes to DATABASE_DIRECT_URL: a
 * transaction pooler would hand the lock's connection to someone else between statements. The `backups` rows go
 * through the process's knex (DATABASE_URL) like any other row.
 */
export function backupHandlers(deps: WorkerDeps): HandlerMap<'backups'> {
  const { config, backups, enqueue, metrics, log } = deps;
  // Read when a job runs (the handler registry builds handlers without a configuration).
  const dir = () => backupDir(config);

  const tell = async (to: { chatId: number; lang: Language } | undefined, jobId: string, key: string, params: Record<string, string>) => {
    if (to) await enqueue('message.send', { chatId: to.chatId, lang: to.lang, template: { key, params } }, { jobId });
  };
  const timeoutMs = () => config.BACKUP_TIMEOUT_SECONDS * 1000;
  const bound = (ctx: JobContext, ...more: AbortSignal[]) => AbortSignal.any([AbortSignal.timeout(timeoutMs()), ...(ctx.signal ? [ctx.signal] : []), ...more]);

  /**
   * Under the lock: what a killed worker left cannot belong to a live run — `running` rows, partial files, and the
   * files of those rows (a worker killed between the rename and the record leaves a whole dump nobody recorded).
   */
  const tidy = async () => {
    const interrupted = await backups.interruptRunning();
    const names = await readdir(dir()).catch(() => [] as string[]);
    const orphans = names.filter((n) => n.endsWith('.partial') || interrupted.some((id) => n.endsWith(`-${id}.dump`) || n.endsWith(`-${id}.dump.json`)));
    for (const name of orphans) await rm(path.join(dir(), name), { force: true });
    if (interrupted.length || orphans.length) log.warn('backups: cleared what an interrupted dump left', { rows: interrupted, files: orphans });
  };

  /** Retention after a passed drill: verified files past the policy go; the newest good one never does. */
  const prune = async (): Promise<number[]> => {
    const kept = await backups.kept();
    const ids = selectPrunable(
      kept.map((b) => ({ id: b.id, finishedAt: b.finishedAt!, verdict: b.verdict })),
      { daily: config.BACKUP_KEEP_DAILY, weekly: config.BACKUP_KEEP_WEEKLY },
    );
    for (const b of kept.filter((k) => ids.includes(k.id))) {
      await rm(path.join(dir(), b.file!), { force: true });
      await rm(sidecarOf(path.join(dir(), b.file!)), { force: true });
    }
    await backups.markPruned(ids);
    if (ids.length) log.info('backups: retention removed old verified files', { ids });
    return ids;
  };

  return {
    'backup.run': async ({ trigger, requestedBy }, ctx) => {
      const session = await BackupSession.open(config.DATABASE_DIRECT_URL, timeoutMs());
      try {
        if (!(await session.tryLock())) {
          metrics.inc('switchyard_backups_total', { operation: 'run', outcome: 'refused' });
          ctx.log.info('backup refused: another backup or drill is running');
          await tell(requestedBy, `backup-busy-${ctx.job.id}`, 'backup.busy', {});
          return { refused: 'another backup or restore drill is running' };
        }
        await tidy();
        const id = await backups.start(trigger);
        const started = Date.now();
        const startedAt = new Date(started);
        const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
        const file = `${databaseOf(config.DATABASE_DIRECT_URL).slice(0, 60)}-${stamp}-${id}.dump`;
        const full = path.join(dir(), file);
        let record: BackupRecord;
        try {
          const { snapshot, serverVersion } = await session.exportSnapshot();
          // The dump and the checksums read the same snapshot at the same time: what the drill compares is exact. If
          // either fails, the other is stopped and awaited: nothing of this try outlives it (and the lock).
          const stopDump = new AbortController();
          const dumping = dumpDatabase({ bin: config.PG_DUMP_BIN, databaseUrl: config.DATABASE_DIRECT_URL, file: full, snapshot, signal: bound(ctx, stopDump.signal) });
          const checksums = fingerprintTables(session.client);
          // The first failure is the cause; the other side's error ("stopped", "canceling statement") only follows it.
          let cause: unknown;
          checksums.catch((err: Error) => {
            cause ??= err;
            stopDump.abort(new Error(`the table checksums failed: ${err.message}`));
          });
          dumping.catch((err: unknown) => {
            cause ??= err;
            return session.cancel();
          });
          const [dumped, checked] = await Promise.allSettled([dumping, checksums]);
          if (dumped.status === 'rejected' || checked.status === 'rejected') throw cause;
          const dump = dumped.value;
          const manifest = checked.value;
          await session.endSnapshot();
          const durationMs = Date.now() - started;
          const sidecar: Sidecar = {
            id, file, database: databaseOf(config.DATABASE_DIRECT_URL), serverVersion, sha256: dump.sha256, sizeBytes: dump.bytes,
            startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), manifest,
          };
          await writeFile(sidecarOf(full), `${JSON.stringify(sidecar, null, 2)}\n`);
          record = await backups.finish(id, { file, sizeBytes: dump.bytes, sha256: dump.sha256, serverVersion, manifest, durationMs });
        } catch (err) {
          const reason = (err as Error).message;
          await rm(full, { force: true });
          await rm(sidecarOf(full), { force: true });
          await backups.fail(id, isHandedBack(ctx) ? `interrupted: ${reason}` : reason, Date.now() - started);
          if (!isHandedBack(ctx)) {
            metrics.inc('switchyard_backups_total', { operation: 'run', outcome: 'failed' });
            if (isLastTry(err, ctx.job)) await tell(requestedBy, `backup-failed-${ctx.job.id}`, 'backup.failed', { reason: reason.slice(0, 300) });
          }
          throw err;
        }
        metrics.inc('switchyard_backups_total', { operation: 'run', outcome: 'ok' });
        metrics.observe('switchyard_backup_seconds', { operation: 'run' }, record.durationMs! / 1000);
        ctx.log.info('backup written', { backup: id, file, bytes: record.sizeBytes, ms: record.durationMs, tables: Object.keys(record.manifest!).length });
        await enqueue('backup.verify', { backupId: id, requestedBy }, { jobId: `verify-${id}` });
        await tell(requestedBy, `backup-done-${id}`, 'backup.done', {
          id: String(id), size: megabytes(record.sizeBytes!), sha: record.sha256!.slice(0, 16), seconds: (record.durationMs! / 1000).toFixed(1),
        });
        return { backupId: id, file, sizeBytes: record.sizeBytes, sha256: record.sha256, durationMs: record.durationMs };
      } finally {
        await session.close();
      }
    },

    'backup.verify': async ({ backupId, requestedBy }, ctx) => {
      const session = await BackupSession.open(config.DATABASE_DIRECT_URL, timeoutMs());
      try {
        if (!(await session.tryLock())) {
          // A dump (often the one that queued this drill) or another drill is running: wait, no attempt spent.
          await ctx.job.moveToDelayed(Date.now() + LOCK_WAIT_MS, ctx.token);
          throw new DelayedError();
        }
        // Under the lock, every scratch database is an orphan (an interrupted drill, or one that lost its lock).
        const orphans = await dropOrphanDrills(config.DATABASE_DIRECT_URL);
        if (orphans.length) ctx.log.warn('backups: dropped scratch databases an interrupted drill left', { databases: orphans });
        const backup = backupId ? await backups.get(backupId) : await backups.newestKept();
        if (!backup || backup.status !== 'done' || backup.prunedAt) {
          ctx.log.info('backup drill skipped: no kept backup to drill', { backup: backupId });
          return { skipped: backupId ? `backup #${backupId} has no kept file` : 'no backup yet' };
        }
        const started = Date.now();
        const full = path.join(dir(), backup.file!);
        const signal = bound(ctx);
        let restored: Manifest | undefined;
        try {
          if (!(await stat(full).catch(() => undefined))) throw new DrillFailedError(`the file ${backup.file} is missing from BACKUP_DIR`);
          const sha = await sha256File(full);
          if (sha !== backup.sha256) throw new DrillFailedError(`sha256 mismatch: ${backup.file} changed after it was written (recorded ${backup.sha256!.slice(0, 16)}…, found ${sha.slice(0, 16)}…)`);
          const scratch = `${drillPrefix(config.DATABASE_DIRECT_URL)}${backup.id}`;
          const scratchUrl = withDatabase(config.DATABASE_DIRECT_URL, scratch);
          await onServer(config.DATABASE_DIRECT_URL, (c) => c.query(`CREATE DATABASE "${scratch}"`));
          try {
            await restoreDatabase({ bin: config.PG_RESTORE_BIN, databaseUrl: scratchUrl, file: full, jobs: config.BACKUP_RESTORE_JOBS, signal });
            restored = await withClient(scratchUrl, (c) => readFingerprints(c, backup.manifest ?? {}), { statementTimeoutMs: timeoutMs() });
          } catch (err) {
            // pg_restore's own error is the backup's fault; a server that is unreachable, full or restarting is not.
            if (err instanceof PgToolError && !err.transient) throw new DrillFailedError(err.message);
            throw err;
          } finally {
            // Dropped before the verdict is told; if this fails, the next drill drops it (dropOrphanDrills). Only under
            // the lock: without it, a drill of the same backup on another worker may be using a database of this name.
            if (await session.holdsLock()) {
              await onServer(config.DATABASE_DIRECT_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`)).catch((err: Error) =>
                log.error('backups: could not drop a drill database (the next drill drops it)', { database: scratch, error: err.message }),
              );
            }
          }
          const problems = compareManifests(backup.manifest ?? {}, restored);
          if (problems.length) throw new DrillFailedError(`the restored copy differs from the database at dump time: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
        } catch (err) {
          if (isHandedBack(ctx)) throw err;
          const ms = Date.now() - started;
          const reason = (err as Error).message;
          // Without the lock, another worker may have dropped this drill's database (as an orphan) or pruned its file:
          // that is no verdict on the backup. Drilled again once the lock is free, no attempt spent, no false alarm —
          // up to LOCK_LOSSES times; a session that is cut every time (an idle timeout on the way) then spends
          // attempts and, on the last, alerts the admins, still without a verdict.
          if (!(await session.holdsLock())) {
            const losses = Number((ctx.job.data as { lockLosses?: number }).lockLosses ?? 0) + 1;
            ctx.log.warn('backups: the drill lost its lock (its Postgres session ended); no verdict recorded', { backup: backup.id, losses, error: reason });
            if (losses <= LOCK_LOSSES) {
              await ctx.job.updateData({ ...ctx.job.data, lockLosses: losses });
              await ctx.job.moveToDelayed(Date.now() + LOCK_WAIT_MS, ctx.token);
              throw new DelayedError();
            }
            throw new Error(`the drill of backup #${backup.id} lost its lock ${losses} times (its Postgres session keeps ending): ${reason}`);
          }
          if (err instanceof DrillFailedError || isLastTry(err, ctx.job)) {
            await backups.setVerdict(backup.id, 'failed', ms, reason);
            metrics.inc('switchyard_backups_total', { operation: 'verify', outcome: 'failed' });
            await tell(requestedBy, `drill-failed-${backup.id}-${ctx.job.id}`, 'backup.drill_failed', { id: String(backup.id), reason: reason.slice(0, 300) });
            ctx.log.error('backup FAILED its restore drill', { backup: backup.id, error: reason });
            // The runner reports the failure to the admins (admin.alert) as the job fails for good.
            throw err instanceof DrillFailedError ? err : new DrillFailedError(`Backup #${backup.id} could not be drilled: ${reason}`);
          }
          throw err;
        }
        const ms = Date.now() - started;
        await backups.setVerdict(backup.id, 'passed', ms);
        metrics.inc('switchyard_backups_total', { operation: 'verify', outcome: 'passed' });
        metrics.observe('switchyard_backup_seconds', { operation: 'verify' }, ms / 1000);
        // Retention only under the lock; without it (the session ended), the next passed drill prunes instead.
        const locked = await session.holdsLock();
        if (!locked) ctx.log.warn('backups: retention skipped: the drill lost its lock (its Postgres session ended)', { backup: backup.id });
        const pruned = locked ? await prune() : [];
        const tables = Object.keys(restored).length;
        const rows = totalRows(restored);
        ctx.log.info('backup passed its restore drill', { backup: backup.id, tables, rows, ms, pruned });
        await tell(requestedBy, `drill-passed-${backup.id}-${ctx.job.id}`, 'backup.verified', { id: String(backup.id), tables: String(tables), rows: String(rows), seconds: (ms / 1000).toFixed(1) });
        return { backupId: backup.id, verdict: 'passed', tables, rows, ms, pruned };
      } finally {
        await session.close();
      }
    },
  };
}
