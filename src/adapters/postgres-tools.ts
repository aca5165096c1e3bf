import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { databaseOf, withClient } from '../db/knex';
import { findExecutable, runTool, ToolMissingError, ToolTimeoutError } from '../lib/run-tool';

/** pg_dump / pg_restore are missing or too old for the server: what to install, said once at start-up. */
export class BackupSetupError extends Error {
  override readonly name = 'BackupSetupError';
}

/**
 * pg_dump or pg_restore ended with an error (the message ends with what it printed). `transient`: the server was
 * unreachable, restarting, out of connections or out of disk — worth a retry, and no verdict on the backup itself.
 */
export class PgToolError extends Error {
  override readonly name = 'PgToolError';
  readonly transient: boolean;
  constructor(message: string) {
    super(message);
    this.transient = TRANSIENT.test(message);
  }
}

const TRANSIENT =
  /could not connect|connection to server|server closed the connection|terminating connection|too many clients|remaining connection slots|the database system is (starting up|shutting down|in recovery)|no space left on device|could not extend file|out of memory|the disk is full/i;

const INSTALL = 'apt-get update && apt-get install -y postgresql-client';

/**
 * The libpq environment for a DATABASE_URL: the password travels in PGPASSWORD, never on a command line (`ps` shows
 * those to every user of the machine).
 */
export function pgEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const u = new URL(databaseUrl);
  const env: NodeJS.ProcessEnv = { ...process.env, PGHOST: u.hostname.replace(/^\[|\]$/g, ''), PGPORT: u.port || '5432', PGDATABASE: databaseOf(databaseUrl), PGAPPNAME: 'switchyard-backups' };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  // The libpq parameters a DATABASE_URL may carry in its query string (node-pg reads the same ones).
  for (const [param, variable] of [['sslmode', 'PGSSLMODE'], ['sslrootcert', 'PGSSLROOTCERT'], ['sslcert', 'PGSSLCERT'], ['sslkey', 'PGSSLKEY'], ['host', 'PGHOST']] as const) {
    const value = u.searchParams.get(param);
    if (value) env[variable] = value;
  }
  return env;
}

/** The server's major version (15 for 15.20). */
export const serverMajor = (databaseUrl: string): Promise<number> =>
  withClient(databaseUrl, async (c) => Math.floor(Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v) / 10_000));

/** The major version a PostgreSQL client tool reports (`pg_dump (PostgreSQL) 15.20 (Debian …)` → 15). */
export async function toolMajor(bin: string): Promise<number> {
  const { code, stdout } = await runTool(bin, ['--version'], { maxStdout: 4_096 });
  const major = /\(PostgreSQL\)\s+(\d+)/.exec(stdout)?.[1];
  if (code !== 0 || !major) throw new BackupSetupError(`${bin} --version did not say which PostgreSQL it belongs to (got "${stdout.trim().slice(0, 80)}")`);
  return Number(major);
}

/**
 * pg_dump and pg_restore are there, and new enough: pg_dump refuses a server of a later major version, and pg_restore
 * reads archives of its own major version or older.
 */
export async function checkPgTools(tools: { pgDump: string; pgRestore: string }, server: number): Promise<{ pgDump: number; pgRestore: number }> {
  const majors: Record<string, number> = {};
  for (const [name, bin, variable] of [['pg_dump', tools.pgDump, 'PG_DUMP_BIN'], ['pg_restore', tools.pgRestore, 'PG_RESTORE_BIN']] as const) {
    if (!(await findExecutable(bin))) {
      throw new BackupSetupError(`${name} is missing (${variable}=${bin}): backups and restore drills need it. Install it with:\n  ${INSTALL}`);
    }
    const major = await toolMajor(bin).catch((err: Error) => {
      throw err instanceof ToolMissingError ? new BackupSetupError(`${name} cannot run (${variable}=${bin}): ${err.message}`) : err;
    });
    if (major < server) {
      throw new BackupSetupError(
        `${name} ${major} cannot read the PostgreSQL ${server} server (${variable}=${bin}): install the client of version ${server} or newer\n` +
          `  (Debian: apt-get install -y postgresql-client-${server}, from apt.postgresql.org when Debian has no such package)`,
      );
    }
    majors[name] = major;
  }
  if (majors.pg_restore! < majors.pg_dump!) {
    throw new BackupSetupError(`pg_restore ${majors.pg_restore} cannot read archives of pg_dump ${majors.pg_dump}: install the same client version for both (${INSTALL})`);
  }
  return { pgDump: majors.pg_dump!, pgRestore: majors.pg_restore! };
}

const tail = (text: string) => text.trim().split('\n').slice(-3).join(' | ').slice(0, 500);

/**
 * `pg_dump -Fc` of `databaseUrl` (in `snapshot`, when given) into `file`, hashed while it is written. The bytes go to
 * `<file>.partial` and are renamed only when pg_dump succeeded and every byte is on disk; on any failure (pg_dump's
 * error, disk full, the time bound, shutdown) the partial file is removed.
 */
export async function dumpDatabase(opts: { bin: string; databaseUrl: string; file: string; snapshot?: string; signal?: AbortSignal }): Promise<{ bytes: number; sha256: string }> {
  const partial = `${opts.file}.partial`;
  const args = ['--format=custom', '--no-password', ...(opts.snapshot ? [`--snapshot=${opts.snapshot}`] : [])];
  const child = spawn(opts.bin, args, { env: pgEnv(opts.databaseUrl), stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal, killSignal: 'SIGKILL' });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-16_384)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') reject(new ToolMissingError(`${opts.bin} is not installed or not executable (${err.code})`));
      else if (err.name !== 'AbortError') reject(err);
    });
    child.once('close', (code) => resolve(code));
  });
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    // flush: the file's bytes reach the disk before it is closed (fsync), so the rename below names a whole file.
    const written = pipeline(child.stdout, tap, createWriteStream(partial, { flags: 'wx', flush: true })).catch((err: NodeJS.ErrnoException) => {
      // Disk full or the folder gone: stop pg_dump, it has nowhere to write.
      child.kill('SIGKILL');
      throw new PgToolError(`writing ${partial} failed: ${err.code === 'ENOSPC' ? 'the disk is full' : err.message}`);
    });
    const [code] = await Promise.all([exited, written]);
    if (opts.signal?.aborted) throw new ToolTimeoutError(`${opts.bin} was stopped: ${String(opts.signal.reason?.message ?? opts.signal.reason)}`);
    if (code !== 0) throw new PgToolError(`pg_dump failed (exit ${code}): ${tail(stderr) || 'no message'}`);
    await rename(partial, opts.file);
    // And the rename itself survives a power cut: fsync the folder.
    const folder = await open(path.dirname(opts.file), 'r');
    await folder.sync().finally(() => folder.close());
    return { bytes, sha256: hash.digest('hex') };
  } catch (err) {
    child.kill('SIGKILL');
    await rm(partial, { force: true });
    if (opts.signal?.aborted && !(err instanceof ToolTimeoutError)) throw new ToolTimeoutError(`${opts.bin} was stopped: ${String(opts.signal.reason?.message ?? opts.signal.reason)}`);
    throw err;
  }
}

/**
 * `pg_restore` of `file` into the (empty) database of `databaseUrl`: `jobs` in parallel, stopping at the first error.
 * Objects are owned by the role that restores, and grants are left out: a drill or a new database must not depend on
 * the roles of the machine the dump came from.
 */
export async function restoreDatabase(opts: { bin: string; databaseUrl: string; file: string; jobs: number; signal?: AbortSignal }): Promise<void> {
  const args = ['--no-password', '--exit-on-error', '--no-owner', '--no-privileges', `--jobs=${opts.jobs}`, `--dbname=${databaseOf(opts.databaseUrl)}`, opts.file];
  const { code, stderr } = await runTool(opts.bin, args, { env: pgEnv(opts.databaseUrl), signal: opts.signal, maxStdout: 1_048_576 });
  if (code !== 0) throw new PgToolError(`pg_restore failed (exit ${code}): ${tail(stderr) || 'no message'}`);
}

/** SHA-256 of a file, streamed (a dump may be larger than memory). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}
