import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './own-redis';
import { waitFor } from './wait';

/** Debian's pgbouncer (package `pgbouncer`); /usr/sbin is not always on PATH. */
export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

/** One database's line of the admin console's SHOW STATS. */
export interface PoolerStats {
  database: string;
  transactions: number;
  queries: number;
}

/** Every pgbouncer of this process still running: killed on exit, even when a test (or the runner) fails. */
const live = new Set<OwnPgBouncer>();
process.once('exit', () => {
  for (const b of live) b.destroySync();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A test process killed with SIGKILL runs no exit hook, and pgbouncer (started as another user) does not hear of its
 * parent's death: such a pooler is found at the next start by its folder, whose test process is gone, and stopped.
 */
function stopOrphans(): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith('switchyard-pgbouncer-'))) {
    const dir = path.join(tmpdir(), name);
    const read = (f: string) => Number(existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8').trim() : NaN);
    const owner = read('owner.pid');
    if (!Number.isInteger(owner) || alive(owner)) continue;
    const pid = read('pgbouncer.pid');
    if (Number.isInteger(pid) && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A pgbouncer of the test's own (never a shared one) on a free loopback port, in transaction pooling mode, in front
 * of a Postgres server (by default the shared one on 127.0.0.1:5432): every database name is passed through (`*`),
 * so scratch databases made on the server are reachable through it too. Trust auth; `postgres` may use the admin
 * console (the `pgbouncer` database). pgbouncer refuses to run as root: as root, it runs as the `postgres` user.
 */
export class OwnPgBouncer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  /** The same database, user and password as `serverUrl`, through this pooler. */
  url(serverUrl: string): string {
    const u = new URL(serverUrl);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  /** pgbouncer's log (connections, errors): worth printing when a test fails. */
  log(): string {
    const file = path.join(this.dir, 'pgbouncer.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /**
   * `poolSize`: server connections per database and user (`default_pool_size`); keep it at least the client pools'
   * size, and small: the server is shared.
   */
  static async start(opts: { serverHost?: string; serverPort?: number; poolSize?: number; maxClients?: number } = {}): Promise<OwnPgBouncer> {
    stopOrphans();
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-pgbouncer-'));
    writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
    const ini = [
      '[databases]',
      `* = host=${opts.serverHost ?? '127.0.0.1'} port=${opts.serverPort ?? 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      // No unix socket: nothing of ours uses one, and two runs would fight over /tmp/.s.PGSQL.<port>.
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'admin_users = postgres',
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 10}`,
      `max_client_conn = ${opts.maxClients ?? 400}`,
      // pg_dump and psql send it; the apps send nothing else pgbouncer would refuse.
      'ignore_startup_parameters = extra_float_digits',
      // SHOW STATS totals are refreshed every stats_period: at the end of a run they should be up to date.
      'stats_period = 1',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'pgbouncer.ini'), ini);
    writeFileSync(path.join(dir, 'userlist.txt'), '"postgres" ""\n');
    const root = process.getuid?.() === 0;
    if (root) {
      // Its log and pidfile are written by the postgres user.
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      for (const f of ['', 'pgbouncer.ini', 'userlist.txt']) chownSync(path.join(dir, f), uid, gid);
    }
    // setpriv execs pgbouncer in its own place (runuser would stay as its parent): the child is pgbouncer itself.
    const [cmd, args] = root
      ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', PGBOUNCER_BIN, path.join(dir, 'pgbouncer.ini')]]
      : [PGBOUNCER_BIN, [path.join(dir, 'pgbouncer.ini')]];
    const child = spawn(cmd, args as string[], { stdio: 'ignore' });
    const own = new OwnPgBouncer(port, dir, child);
    live.add(own);
    try {
      let exited = false;
      child.once('exit', () => (exited = true));
      await waitFor(async () => {
        if (exited) throw new Error(`pgbouncer exited at start:\n${own.log().slice(-2000)}`);
        return own.admin('SHOW VERSION').then(() => true, () => false);
      }, `pgbouncer on port ${port}`, 15_000);
    } catch (err) {
      await own.destroy();
      throw err;
    }
    return own;
  }

  /** A statement on the admin console (simple protocol only, as the console wants). */
  async admin<R extends pg.QueryResultRow = Record<string, string>>(sql: string): Promise<R[]> {
    const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: 'postgres', database: 'pgbouncer', connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Transactions and queries pgbouncer has passed to Postgres, per database (the console's own excluded). */
  async stats(): Promise<PoolerStats[]> {
    const rows = await this.admin<{ database: string; total_xact_count: string; total_query_count: string }>('SHOW STATS');
    return rows
      .filter((r) => r.database !== 'pgbouncer')
      .map((r) => ({ database: r.database, transactions: Number(r.total_xact_count), queries: Number(r.total_query_count) }));
  }

  /** Kills it and removes its folder; safe to call more than once. */
  async destroy(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGKILL');
      await exited;
    }
    this.removeDir();
  }

  /** For process exit: no waiting there. */
  destroySync(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.removeDir();
  }

  private removeDir(): void {
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
