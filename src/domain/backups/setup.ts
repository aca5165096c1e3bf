import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { Config } from '../../config';
import { BackupSetupError, checkPgTools, serverMajor } from '../../adapters/postgres-tools';
import { backupDir } from './backup-files';

/**
 * What backups need before the worker takes a job: pg_dump and pg_restore of the server's major version or newer,
 * and a BACKUP_DIR it can write. Throws a BackupSetupError that says what to install or fix.
 */
export async function checkBackupSetup(config: Config): Promise<{ server: number; pg_dump: number; pg_restore: number; dir: string }> {
  // pg_dump and pg_restore talk to Postgres itself (DATABASE_DIRECT_URL), not to a pooler.
  const server = await serverMajor(config.DATABASE_DIRECT_URL);
  const tools = await checkPgTools({ pgDump: config.PG_DUMP_BIN, pgRestore: config.PG_RESTORE_BIN }, server);
  const dir = backupDir(config);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new BackupSetupError(`BACKUP_DIR=${config.BACKUP_DIR} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): create it, or point BACKUP_DIR at a writable folder`);
  }
  return { server, pg_dump: tools.pgDump, pg_restore: tools.pgRestore, dir };
}
