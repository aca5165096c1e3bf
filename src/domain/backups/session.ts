import pg from 'pg';
import { withClient } from '../../db/knex';

/**
 * One advisory lock for all backup work on a database (dumps, drills, pruning), whatever the number of worker
 * replicas: a session lock, so a worker that dies releases it with its connection. The two keys spell "SW" "BK".
 */
const LOCK = [0x5357, 0x424b] as const;

/**
 * A dedicated connection that holds the backups lock and, for a dump, the exported snapshot: a REPEATABLE READ
 * transaction kept open while pg_dump reads in the same snapshot (`--snapshot`) and the table checksums are taken.
 */
export class BackupSession {
  private locked = false;

  private constructor(
    readonly client: pg.Client,
    private readonly databaseUrl: string,
    private readonly pid: number,
  ) {}

  /** `timeoutMs` bounds every statement of the session (the checksums), like BACKUP_TIMEOUT_SECONDS bounds pg_dump. */
  static async open(databaseUrl: string, timeoutMs: number): Promise<BackupSession> {
    const client = new pg.Client({
      connectionString: databaseUrl, connectionTimeoutMillis: 5_000, application_name: 'switchyard-backups', keepAlive: true, statement_timeout: timeoutMs,
    });
    await client.connect();
    // An error on this idle connection (server restart) must not crash the worker: the next query fails instead.
    client.on('error', () => undefined);
    // The session idles in its snapshot while pg_dump reads, and holds the lock through a whole drill: a server-wide
    // idle timeout must not end it (and with it the lock) halfway. Settings this server lacks are skipped.
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pg_backend_pid() AS pid, (SELECT count(set_config(name, '0', false)) FROM pg_settings WHERE name IN ('idle_in_transaction_session_timeout', 'idle_session_timeout')) AS n`,
    );
    return new BackupSession(client, databaseUrl, rows[0]!.pid);
  }

  /** Stops the statement the session is running (the checksums, when the dump beside them failed). */
  async cancel(): Promise<void> {
    await withClient(this.databaseUrl, (c) => c.query('SELECT pg_cancel_backend($1)', [this.pid])).catch(() => undefined);
  }

  /** True when this session now holds the lock; false when another dump or drill holds it. */
  async tryLock(): Promise<boolean> {
    const { rows } = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [...LOCK]);
    this.locked = rows[0]!.ok;
    return this.locked;
  }

  /**
   * True while this session still holds the lock. A session lock ends only with its connection, so false means the
   * connection ended (a server restart, a terminated backend) and another worker may have taken the lock since.
   */
  async holdsLock(): Promise<boolean> {
    if (!this.locked) return false;
    try {
      // pg_advisory_lock(int4, int4) shows as classid = key 1, objid = key 2, objsubid = 2.
      const { rows } = await this.client.query<{ held: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND pid = pg_backend_pid() AND granted) AS held`,
        [...LOCK],
      );
      return rows[0]!.held;
    } catch {
      return false;
    }
  }

  /** Opens the snapshot the dump and the checksums share; returns its id for `pg_dump --snapshot`. */
  async exportSnapshot(): Promise<{ snapshot: string; serverVersion: string }> {
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const { rows } = await this.client.query<{ snapshot: string; version: string }>("SELECT pg_export_snapshot() AS snapshot, current_setting('server_version') AS version");
    return { snapshot: rows[0]!.snapshot, serverVersion: rows[0]!.version };
  }

  async endSnapshot(): Promise<void> {
    await this.client.query('COMMIT');
  }

  /** Ends the connection (which releases the lock and any snapshot even if the explicit unlock fails). */
  async close(): Promise<void> {
    if (this.locked) await this.client.query('SELECT pg_advisory_unlock($1, $2)', [...LOCK]).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
