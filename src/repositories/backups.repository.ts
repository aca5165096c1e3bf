import type { Knex } from 'knex';
import type { Manifest } from '../db/fingerprint';

export type BackupTrigger = 'schedule' | 'admin' | 'board';

export interface BackupRecord {
  id: number;
  status: 'running' | 'done' | 'failed';
  trigger: BackupTrigger;
  file: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  serverVersion: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
  manifest: Manifest | null;
  verdict: 'passed' | 'failed' | null;
  verifiedAt: Date | null;
  verifyMs: number | null;
  verifyError: string | null;
  drills: number;
  prunedAt: Date | null;
}

interface Row {
  id: number;
  status: BackupRecord['status'];
  trigger: BackupTrigger;
  file: string | null;
  size_bytes: number | null;
  sha256: string | null;
  server_version: string | null;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
  error: string | null;
  manifest: Manifest | null;
  verdict: BackupRecord['verdict'];
  verified_at: Date | null;
  verify_ms: number | null;
  verify_error: string | null;
  drills: number;
  pruned_at: Date | null;
}

const toRecord = (r: Row): BackupRecord => ({
  id: Number(r.id), status: r.status, trigger: r.trigger, file: r.file, sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes), sha256: r.sha256,
  serverVersion: r.server_version, startedAt: r.started_at, finishedAt: r.finished_at, durationMs: r.duration_ms, error: r.error, manifest: r.manifest,
  verdict: r.verdict, verifiedAt: r.verified_at, verifyMs: r.verify_ms, verifyError: r.verify_error, drills: r.drills, prunedAt: r.pruned_at,
});

/** The `backups` table: one row per dump try and the verdict of its restore drill (docs/BACKUPS.md). */
export class BackupsRepository {
  constructor(private readonly knex: Knex) {}

  /** Rows left `running` by a worker that died mid-dump (called under the backups lock, so none is really running). */
  async interruptRunning(): Promise<number[]> {
    const rows = await this.knex('backups')
      .where({ status: 'running' })
      .update({ status: 'failed', error: 'interrupted: the worker stopped during the dump', finished_at: this.knex.fn.now() })
      .returning('id');
    return rows.map((r: { id: number }) => Number(r.id));
  }

  async start(trigger: BackupTrigger): Promise<number> {
    const [row] = await this.knex('backups').insert({ status: 'running', trigger }).returning('id');
    return Number(row.id);
  }

  async finish(id: number, done: { file: string; sizeBytes: number; sha256: string; serverVersion: string; manifest: Manifest; durationMs: number }): Promise<BackupRecord> {
    const [row] = await this.knex('backups')
      .where({ id })
      .update({
        status: 'done', file: done.file, size_bytes: done.sizeBytes, sha256: done.sha256, server_version: done.serverVersion,
        manifest: JSON.stringify(done.manifest), duration_ms: done.durationMs, finished_at: this.knex.fn.now(),
      })
      .returning('*');
    return toRecord(row);
  }

  async fail(id: number, error: string, durationMs: number): Promise<void> {
    await this.knex('backups').where({ id, status: 'running' }).update({ status: 'failed', error: error.slice(0, 2_000), duration_ms: durationMs, finished_at: this.knex.fn.now() });
  }

  async get(id: number): Promise<BackupRecord | undefined> {
    const row = await this.knex('backups').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async findByFile(file: string): Promise<BackupRecord | undefined> {
    const row = await this.knex('backups').where({ file }).first();
    return row ? toRecord(row) : undefined;
  }

  /** The newest complete backup whose file is still kept (what a scheduled drill checks again). */
  async newestKept(): Promise<BackupRecord | undefined> {
    const row = await this.knex('backups').where({ status: 'done' }).whereNull('pruned_at').orderBy('finished_at', 'desc').orderBy('id', 'desc').first();
    return row ? toRecord(row) : undefined;
  }

  /** The newest backup that passed its restore drill and is still kept: what /stats and the metrics report the age of. */
  async newestVerified(): Promise<BackupRecord | undefined> {
    const row = await this.knex('backups').where({ status: 'done', verdict: 'passed' }).whereNull('pruned_at').orderBy('finished_at', 'desc').orderBy('id', 'desc').first();
    return row ? toRecord(row) : undefined;
  }

  async setVerdict(id: number, verdict: 'passed' | 'failed', verifyMs: number, error?: string): Promise<void> {
    await this.knex('backups')
      .where({ id })
      .update({ verdict, verify_ms: verifyMs, verify_error: error?.slice(0, 2_000) ?? null, verified_at: this.knex.fn.now(), drills: this.knex.raw('drills + 1') });
  }

  /** Complete backups whose files are still kept, for retention. */
  async kept(): Promise<BackupRecord[]> {
    const rows = await this.knex('backups').where({ status: 'done' }).whereNull('pruned_at').orderBy('finished_at', 'desc');
    return rows.map(toRecord);
  }

  async markPruned(ids: number[]): Promise<void> {
    if (ids.length) await this.knex('backups').whereIn('id', ids).update({ pruned_at: this.knex.fn.now() });
  }
}
