import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { BackupSetupError, checkPgTools, PgToolError, serverMajor } from '../adapters/postgres-tools';
import { restoreBackup, RestoreRefusedError } from './restore';

const USAGE = `Usage: npm run restore -- <backup id | file in BACKUP_DIR | path> --target <new database name | postgres:// URL> [--yes]

Checks the file's sha256 against its record (the backups table, or the .json sidecar beside the file when the
database is gone), restores it into a new or empty database with pg_restore, and compares every table with the
database at dump time. Without --yes only the checks run. Runbook: docs/BACKUPS.md.`;

/** `npm run restore`: exit 0 restored and matching (or checked, without --yes); 1 refused or failed; 2 usage. */
async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { target: { type: 'string' }, yes: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1 || !values.target) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  try {
    await checkPgTools({ pgDump: config.PG_DUMP_BIN, pgRestore: config.PG_RESTORE_BIN }, await serverMajor(/^postgres(ql)?:\/\//.test(values.target) ? values.target : config.DATABASE_DIRECT_URL).catch(() => 0));
    const outcome = await restoreBackup(config, { backup: positionals[0]!, target: values.target, confirmed: values.yes }, (line) => console.log(line));
    if (!outcome.restored) return 0;
    if (outcome.problems?.length) return 1;
    console.log(`\nNext (docs/BACKUPS.md): stop the bot and workers, point DATABASE_URL at "${outcome.target}", run "npm run migrate", start everything, check /readyz and /stats.`);
    return 0;
  } catch (err) {
    if (err instanceof RestoreRefusedError) console.error(`Refused: ${err.message}`);
    else if (err instanceof BackupSetupError || err instanceof PgToolError) console.error(err.message);
    else console.error(`Restore failed: ${(err as Error).message}`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : `Restore failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
