import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './own-redis';

/** Debian's newest PostgreSQL server binaries (initdb, pg_ctl). */
function pgBin(tool: string): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!version) throw new Error(`no PostgreSQL server under ${root}`);
  return path.join(root, version, 'bin', tool);
}

/** Runs a server tool as the postgres user when we are root (the server refuses to run as root). */
function asPostgres(tool: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  execFileSync(root ? 'runuser' : pgBin(tool), root ? ['-u', 'postgres', '--', pgBin(tool), ...args] : args, { stdio: 'pipe', timeout: 60_000 });
}

/**
 * A PostgreSQL cluster of the test's own (initdb + pg_ctl, on another port, in a temporary folder), never the
 * shared one: safe to stop, start and throw away. Trust auth on loopback, no fsync (a test's data needs no crash
 * safety).
 */
export class OwnPostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    /** More server settings (`name=value`), e.g. shared_preload_libraries for a profile. */
    private readonly settings: string[] = [],
  ) {}

  /** A URL of a database on this cluster (`postgres` exists; create others with ensureDatabase). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  static async start(opts: { settings?: string[] } = {}): Promise<OwnPostgres> {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-pg-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
    }
    const own = new OwnPostgres(port, dir, opts.settings);
    try {
      asPostgres('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
      own.resume();
    } catch (err) {
      own.destroy();
      throw err;
    }
    return own;
  }

  /** The server's processes now: the postmaster and its children (backends, writer, WAL writer…). */
  processIds(): number[] {
    const pidFile = path.join(this.dir, 'data', 'postmaster.pid');
    if (!existsSync(pidFile)) return [];
    const main = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const children = `/proc/${main}/task/${main}/children`;
    return [main, ...(existsSync(children) ? readFileSync(children, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [])];
  }

  /** Starts the server (again) and waits until it accepts connections. */
  resume(): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off${this.settings.map((x) => ` -c ${x}`).join('')}`;
    asPostgres('pg_ctl', ['-D', path.join(this.dir, 'data'), '-o', options, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
  }

  /** Stops the server (fast: open connections are cut, as in an outage). */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    if (!existsSync(path.join(this.dir, 'data', 'postmaster.pid'))) return;
    asPostgres('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** Stops the server and removes its folder; safe to call more than once, and after a failed start. */
  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // Already down.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
