import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config';
import { createKnex, databaseOf, onServer, withClient, withDatabase } from '../db/knex';
import { restoreDatabase, sha256File } from '../adapters/postgres-tools';
import { backupDir, sidecarOf, type Sidecar } from '../domain/backups/backup-files';
import { compareManifests, readFingerprints, totalRows, type Manifest } from '../db/fingerprint';
import { BackupsRepository } from '../repositories/backups.repository';

/** The restore was refused before anything was written: the reason says what to do instead. */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

export interface RestoreRequest {
  /** A backup id, a file name in BACKUP_DIR, or a path to a dump. */
  backup: string;
  /** A database name (on DATABASE_DIRECT_URL's server: Postgres itself) or a postgres:// URL; it must not exist or be empty. */
  target: string;
  /** Without it, only the checks run and the plan is printed. */
  confirmed: boolean;
}

export interface RestoreOutcome {
  file: string;
  sha256: string;
  /** Where the expected sha256 and the manifest came from. */
  source: 'database record' | 'sidecar file';
  target: string;
  restored: boolean;
  tables?: Record<string, { expected: number; restored: number }>;
  problems?: string[];
}

/** Which setting names the database this command talks to (for its messages). */
const directName = (config: Config) => (config.DATABASE_DIRECT_URL === config.DATABASE_URL ? 'DATABASE_URL' : 'DATABASE_DIRECT_URL');

/** The recorded facts about a dump: the `backups` row when the database answers, else the `.json` sidecar beside it. */
async function findRecord(config: Config, backup: string, say: (line: string) => void): Promise<{ file: string; sha256: string; manifest: Manifest; source: RestoreOutcome['source']; id?: number }> {
  const byId = /^\d+$/.test(backup);
  let file = byId ? undefined : backup.includes('/') ? path.resolve(backup) : path.join(backupDir(config), backup);
  let fromDb: { file: string; sha256: string; manifest: Manifest; id: number } | undefined;
  const knex = createKnex(config.DATABASE_DIRECT_URL, { max: 1 });
  try {
    const repo = new BackupsRepository(knex);
    const row = byId ? await repo.get(Number(backup)) : await repo.findByFile(path.basename(file!));
    if (row?.status === 'done' && row.sha256 && row.file) fromDb = { id: row.id, file: file ?? path.join(backupDir(config), row.file), sha256: row.sha256, manifest: row.manifest ?? {} };
  } catch (err) {
    say(`The database at ${directName(config)} does not answer (${(err as Error).message.slice(0, 120)}): using the sidecar file.`);
  } finally {
    await knex.destroy();
  }
  if (byId && !fromDb) throw new RestoreRefusedError(`No complete backup #${backup} is recorded in the database at ${directName(config)}. Name the file instead (its .json sidecar holds the record).`);
  file = fromDb?.file ?? file!;
  if (!(await stat(file).catch(() => undefined))) throw new RestoreRefusedError(`${file} does not exist.`);
  const sidecar = (await readFile(sidecarOf(file), 'utf8').then((t) => JSON.parse(t) as Sidecar).catch(() => undefined));
  if (fromDb && sidecar && sidecar.sha256 !== fromDb.sha256) {
    throw new RestoreRefusedError(`The database records sha256 ${fromDb.sha256} for ${path.basename(file)}, its sidecar ${sidecar.sha256}: they disagree, so neither can be trusted.`);
  }
  if (fromDb) return { ...fromDb, source: 'database record' };
  if (sidecar?.sha256) return { file, sha256: sidecar.sha256, manifest: sidecar.manifest ?? {}, source: 'sidecar file', id: sidecar.id };
  throw new RestoreRefusedError(`No record of ${path.basename(file)}: neither the database nor a ${path.basename(sidecarOf(file))} sidecar, so its sha256 cannot be checked.`);
}

/**
 * `npm run restore` (on DATABASE_DIRECT_URL: CREATE DATABASE and pg_restore want Postgres itself): checks the dump's sha256 against its record (refusing a mismatch), restores it into a new or
 * empty database with pg_restore, and compares every table's rows and checksum with the dump's manifest.
 */
export async function restoreBackup(config: Config, req: RestoreRequest, say: (line: string) => void = () => undefined): Promise<RestoreOutcome> {
  const record = await findRecord(config, req.backup, say);
  const sha256 = await sha256File(record.file);
  if (sha256 !== record.sha256) {
    throw new RestoreRefusedError(
      `sha256 mismatch: ${path.basename(record.file)} hashes to ${sha256}, but the ${record.source} says ${record.sha256}. The file changed after it was written or is not that backup; restore another one.`,
    );
  }
  say(`${path.basename(record.file)}: sha256 matches the ${record.source} (${sha256.slice(0, 16)}…).`);

  const targetUrl = /^postgres(ql)?:\/\//.test(req.target) ? req.target : withDatabase(config.DATABASE_DIRECT_URL, req.target);
  const targetDb = databaseOf(targetUrl);
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(targetDb)) throw new RestoreRefusedError(`The target database name "${targetDb}" must be 1-63 letters, digits, _ or -.`);
  const target = new URL(targetUrl);
  // The live database, whichever way it is named: Postgres itself, or the pooler in front of it.
  const live = [config.DATABASE_DIRECT_URL, config.DATABASE_URL].some((u) => new URL(u).host === target.host && databaseOf(u) === targetDb);
  if (live) {
    throw new RestoreRefusedError(`The target is the live database (DATABASE_URL). Restore into a new database, check it, then switch DATABASE_URL over (docs/BACKUPS.md).`);
  }
  const exists = await onServer(targetUrl, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [targetDb])).rowCount === 1);
  if (exists) {
    const tables = await withClient(targetUrl, async (c) =>
      Number((await c.query("SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'")).rows[0].n),
    );
    if (tables > 0) throw new RestoreRefusedError(`The database "${targetDb}" already has ${tables} table(s). Restore into a new (or empty) database.`);
  }
  const outcome: RestoreOutcome = { file: record.file, sha256, source: record.source, target: targetDb, restored: false };
  if (!req.confirmed) {
    say(`Would ${exists ? 'restore into the empty' : 'create and restore into the'} database "${targetDb}" on ${target.host}. Add --yes to go ahead.`);
    return outcome;
  }
  if (!exists) await onServer(targetUrl, (c) => c.query(`CREATE DATABASE "${targetDb}"`));
  say(`Restoring into "${targetDb}" (pg_restore --jobs=${config.BACKUP_RESTORE_JOBS})…`);
  try {
    await restoreDatabase({ bin: config.PG_RESTORE_BIN, databaseUrl: targetUrl, file: record.file, jobs: config.BACKUP_RESTORE_JOBS });
  } catch (err) {
    // A half-restored database would only refuse the next attempt ("already has tables"): it goes, if we made it.
    if (!exists) await onServer(targetUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${targetDb}" WITH (FORCE)`)).catch(() => undefined);
    else say(`"${targetDb}" now holds part of the restore: empty it (or drop it) before trying again.`);
    throw err;
  }
  const restored = await withClient(targetUrl, (c) => readFingerprints(c, record.manifest));
  outcome.restored = true;
  outcome.problems = compareManifests(record.manifest, restored);
  outcome.tables = Object.fromEntries(Object.entries(record.manifest).map(([t, f]) => [t, { expected: f.rows, restored: restored[t]?.rows ?? 0 }]));
  for (const [t, n] of Object.entries(outcome.tables)) say(`  ${t.padEnd(40)} ${String(n.restored).padStart(10)} rows${n.restored === n.expected ? '' : ` (dump time: ${n.expected})`}`);
  if (outcome.problems.length) say(`The restored copy DIFFERS from the database at dump time:\n  ${outcome.problems.join('\n  ')}`);
  else say(`Every table matches the database at dump time: ${Object.keys(restored).length} tables, ${totalRows(restored)} rows.`);
  return outcome;
}
