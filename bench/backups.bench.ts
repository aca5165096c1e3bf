import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createKnex, migrateLatest, onServer, withDatabase } from '../src/db/knex';
import { pgEnv } from '../src/adapters/postgres-tools';
import { startDeployment } from './deployment';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from './support';

const run = promisify(execFile);
const ROWS = Number(process.env.BENCH_BACKUP_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_BACKUP_RUNS ?? 3);
const JOBS = 2;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

export interface BackupBench {
  rows: number;
  megabytes: number;
  runs: number;
  /** Medians, seconds: ours (backup.run + backup.verify through the backups worker process) and raw pg_dump + pg_restore. */
  ours: number;
  raw: number;
  ratio: number;
  /** The parts, medians: our dump (with checksums) vs pg_dump alone; our drill vs createdb + pg_restore + dropdb. */
  oursDump: number;
  rawDump: number;
  oursDrill: number;
  rawRestore: number;
}

/**
 * A database of its own with a `ROWS`-row ledger (1,000 users). Ours: `backup.run` added to the queue of a real
 * backups worker process (`--queues=backups`), timed until its drill's verdict is recorded — exported snapshot,
 * pg_dump -Fc with sha256, per-table checksums, sidecar, then sha256 check, CREATE DATABASE, pg_restore --jobs=2,
 * checksums of the copy, DROP DATABASE. Raw: `pg_dump -Fc` to a file, then createdb, `pg_restore --jobs=2` with the
 * same flags, dropdb. Runs alternate; medians compared.
 */
export async function benchBackups(): Promise<BackupBench> {
  const url = withDatabase(BENCH_DATABASE_URL, 'switchyard_bench_backups');
  await onServer(url, async (c) => {
    await c.query('DROP DATABASE IF EXISTS switchyard_bench_backups WITH (FORCE)');
    await c.query('CREATE DATABASE switchyard_bench_backups');
  });
  const knex = createKnex(url, { max: 1 });
  await migrateLatest(knex);
  await knex.raw(`INSERT INTO users (telegram_id, language) SELECT 8000000 + g, 'en' FROM generate_series(1, 1000) g`);
  await knex.raw(
    `INSERT INTO ledger_entries (user_id, kind, amount, idempotency_key, reference, details, created_at)
     SELECT u.id, CASE WHEN g % 3 = 0 THEN 'topup' ELSE 'hold' END, g % 500, 'bench:' || g, 'ref:' || g, jsonb_build_object('n', g), now() - g * interval '1 second'
       FROM generate_series(1, ${ROWS}) g JOIN users u ON u.telegram_id = 8000000 + 1 + g % 1000`,
  );
  await knex.raw(`INSERT INTO balances (user_id, coins) SELECT id, 100 FROM users`);
  await knex.raw('VACUUM ANALYZE');
  await knex.destroy();

  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-bench-backups-'));
  const deployment = await startDeployment('backups', 7_600_000, [
    { script: 'workers/main.js', args: ['--queues=backups'], env: { DATABASE_URL: url, BACKUP_DIR: path.join(dir, 'ours'), BACKUP_CRON: 'off', BACKUP_VERIFY_CRON: 'off', BACKUP_RESTORE_JOBS: String(JOBS) } },
  ]);
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('backups', { connection, prefix: deployment.prefix });
  const db = createKnex(url, { max: 1 });
  const env = pgEnv(url);
  const ours: number[] = [];
  const raw: number[] = [];
  const oursDump: number[] = [];
  const oursDrill: number[] = [];
  const rawDump: number[] = [];
  const rawRestore: number[] = [];
  let megabytes = 0;
  try {
    for (let i = 0; i < RUNS; i++) {
      // Raw: the same dump and restore by hand.
      const file = path.join(dir, `raw-${i}.dump`);
      let started = process.hrtime.bigint();
      await run('pg_dump', ['--format=custom', '--no-password', '-f', file], { env });
      rawDump.push(seconds(started));
      const restoreStarted = process.hrtime.bigint();
      await onServer(url, (c) => c.query('CREATE DATABASE switchyard_bench_backups_raw'));
      await run('pg_restore', ['--no-password', '--exit-on-error', '--no-owner', '--no-privileges', `--jobs=${JOBS}`, '--dbname=switchyard_bench_backups_raw', file], { env });
      await onServer(url, (c) => c.query('DROP DATABASE switchyard_bench_backups_raw WITH (FORCE)'));
      rawRestore.push(seconds(restoreStarted));
      raw.push(seconds(started));
      rmSync(file);

      // Ours: through the queue and the worker process, until the verdict is recorded.
      started = process.hrtime.bigint();
      const job = await queue.add('backup.run', { trigger: 'board' });
      let id: number | undefined;
      for (;;) {
        id ??= (await db('backups').where({ status: 'done' }).orderBy('id', 'desc').first('id'))?.id;
        const row = id ? await db('backups').where({ id }).first() : undefined;
        if (row?.verdict) {
          if (row.verdict !== 'passed') throw new Error(`backup #${id} failed its drill: ${row.verify_error}`);
          ours.push(seconds(started));
          oursDump.push(row.duration_ms / 1000);
          oursDrill.push(row.verify_ms / 1000);
          megabytes = Number(row.size_bytes) / 1_048_576;
          break;
        }
        if ((await job.getState()) === 'failed') throw new Error(`backup.run failed: ${(await queue.getJob(job.id!))?.failedReason}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // Next run starts clean: this one's files and record out of the way (the worker writes into the same folder).
      for (const name of readdirSync(path.join(dir, 'ours'))) rmSync(path.join(dir, 'ours', name));
      await db('backups').del();
    }
  } finally {
    await queue.close();
    await connection.quit();
    await db.destroy();
    await deployment.close();
    rmSync(dir, { recursive: true, force: true });
    await onServer(url, (c) => c.query('DROP DATABASE IF EXISTS switchyard_bench_backups WITH (FORCE)'));
  }
  return {
    rows: ROWS, megabytes, runs: RUNS,
    ours: median(ours), raw: median(raw), ratio: median(ours) / median(raw),
    oursDump: median(oursDump), rawDump: median(rawDump), oursDrill: median(oursDrill), rawRestore: median(rawRestore),
  };
}
