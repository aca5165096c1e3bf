import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Job } from 'bullmq';
import { Stack } from '../support/stack';
import { scratchDatabase } from '../support/scratch-db';
import { waitFor } from '../support/wait';
import { startWorkerProcess, type WorkerProcess } from '../../workers/worker-process';
import { workerDefinitions } from '../../workers';
import { createMetricsRegistry } from '../../src/observability/metrics.registry';
import { databaseOf, onServer, withClient, withDatabase } from '../../src/db/knex';
import { databaseEnv, directUrl, TEST_DATABASE_URL } from '../support/env';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const ADMIN = 4242;

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

/** An executable stand-in for a pg tool, in `dir`: it answers --version as the real tool does, then runs `body`. */
async function standIn(dir: string, tool: 'pg_dump' | 'pg_restore', name: string, body: string): Promise<string> {
  const bin = path.join(dir, name);
  await writeFile(bin, `#!/bin/sh\n[ "$1" = --version ] && exec ${tool} --version\n${body}\n`);
  await chmod(bin, 0o755);
  return bin;
}

/** A pg_dump that waits 1.5 s before it starts: long enough for writes to land mid-dump and for two runs to overlap. */
const slowPgDump = (dir: string) => standIn(dir, 'pg_dump', 'slow-pg_dump', 'sleep 1.5\nexec pg_dump "$@"');

/** A database of the test's own: users, a ledger, and a table with json and point columns (no binary hash). */
async function seed(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`INSERT INTO users (telegram_id, language) SELECT 9000000 + g, 'en' FROM generate_series(1, 200) g`);
    await client.query(
      `INSERT INTO ledger_entries (user_id, kind, amount, idempotency_key, details)
       SELECT u.id, 'bonus', 100, 'seed:' || u.id || ':' || g, jsonb_build_object('n', g) FROM users u, generate_series(1, 50) g`,
    );
    await client.query('CREATE TABLE ops_notes (id serial PRIMARY KEY, note json NOT NULL, at point)');
    await client.query(`INSERT INTO ops_notes (note, at) SELECT json_build_object('n', g), point(g, g) FROM generate_series(1, 300) g`);
  });
}

const databases = (prefix: string): Promise<string[]> =>
  onServer(TEST_DATABASE_URL, async (c) => (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE left(datname, $1) = $2', [prefix.length, prefix])).rows.map((r) => r.datname));

interface Own {
  stack: Stack;
  db: Awaited<ReturnType<typeof scratchDatabase>>;
  /** A folder of the test's own; `<dir>/files` is BACKUP_DIR. */
  dir: string;
}

/** A scratch database (seeded by `prepare`), a folder and a stack on them, so each block sees only its own backups. */
async function ownStack(opts: { bot?: boolean; prepare?: (url: string) => Promise<void>; env?: (dir: string) => Promise<Record<string, string>> }): Promise<Own> {
  const db = await scratchDatabase();
  await opts.prepare?.(db.url);
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-backups-'));
  const stack = await Stack.start({ bot: opts.bot ?? false, env: { DATABASE_URL: db.url, BACKUP_DIR: path.join(dir, 'files'), ...(await opts.env?.(dir)) } });
  return { stack, db, dir };
}

/** Stops the stack and drops the scratch database with every database named after it (drills, restores). */
async function closeOwn(own: Partial<Own>): Promise<void> {
  await own.stack?.stop();
  if (own.db) {
    for (const name of await databases(`${databaseOf(own.db.url)}_`)) await onServer(TEST_DATABASE_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    await own.db.drop();
  }
  if (own.dir) await rm(own.dir, { recursive: true, force: true });
}

/** A block with a stack of its own: registers the hooks; tests read it through the getter. */
function ownStackFor(opts: Parameters<typeof ownStack>[0]): () => Own {
  let own: Own | undefined;
  before(async () => {
    own = await ownStack(opts);
  });
  after(() => closeOwn(own ?? {}));
  return () => own!;
}

describe('backups: pg_dump, restore drills, retention and restore (real Postgres)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let dir: string;
  const dbName = () => databaseOf(db.url);

  before(async () => {
    ({ stack, db, dir } = await ownStack({
      bot: true,
      prepare: seed,
      env: async (d) => ({ ADMIN_IDS: String(ADMIN), ALERT_DELAY_MS: '0', PG_DUMP_BIN: await slowPgDump(d) }),
    }));
    await stack.client.createUser({ id: ADMIN, first_name: 'Admin', language_code: 'en' });
  });
  after(() => closeOwn({ stack, db, dir }));

  const queue = () => stack.workers!.deps.queues.get('backups');
  const row = async (id: number) => stack.knex('backups').where({ id }).first();
  const finished = async (job: Job) => {
    await waitFor(async () => ['completed', 'failed'].includes(await job.getState()), `job ${job.name} finished`, 60_000);
    return (await queue().getJob(job.id!))!;
  };
  /** A backup through the queue, as Bull Board adds it; waits for its drill's verdict. */
  const backupNow = async (): Promise<number> => {
    const done = await finished(await queue().add('backup.run', { trigger: 'board' }));
    const id = (done.returnvalue as { backupId: number }).backupId;
    expect(id, JSON.stringify(done.returnvalue ?? done.failedReason)).to.be.a('number');
    await waitFor(async () => (await row(id))?.verdict != null, `backup #${id} drilled`, 60_000);
    return id;
  };

  it('/backup while users write: the file, size, sha256 and a passed drill are recorded; /stats and /metrics show its age', async () => {
    const before = (await stack.client.messages(ADMIN)).length;
    // Ledger rows keep arriving during the dump: the drill passes only if the dump and the checksums share a snapshot.
    let writing = true;
    let written = 0;
    const writer = withClient(db.url, async (client) => {
      while (writing) {
        await client.query(`INSERT INTO ledger_entries (user_id, kind, amount, idempotency_key) SELECT id, 'grant', 1, 'during:' || gen_random_uuid() FROM users LIMIT 5`);
        written += 5;
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    await stack.client.sendText(ADMIN, '/backup');
    const replies = (await stack.client.waitForMessages(ADMIN, before + 3, 60_000)).slice(before).map((m) => m.text!);
    writing = false;
    await writer;

    expect(replies[0]).to.equal('Backup queued. I will tell you when the file is written and again when its restore drill is done.');
    const done = /^💾 Backup #(\d+) written: ([\d.]+) MB, sha256 ([0-9a-f]{16})…, [\d.]+ s\. Its restore drill follows\.$/.exec(replies[1]!);
    expect(done, replies[1]).to.not.equal(null);
    const id = Number(done![1]);
    const drill = new RegExp(`^✅ Backup #${id} passed its restore drill: (\\d+) tables and (\\d+) rows match the database at dump time`).exec(replies[2]!);
    expect(drill, replies[2]).to.not.equal(null);

    const record = await row(id);
    expect(record).to.include({ status: 'done', trigger: 'admin', verdict: 'passed', drills: 1 });
    const file = path.join(dir, 'files', record.file);
    expect(record.file).to.match(new RegExp(`^${dbName()}-\\d{8}T\\d{6}Z-${id}\\.dump$`));
    expect(Number(record.size_bytes)).to.equal((await stat(file)).size);
    expect(record.sha256).to.equal(await sha256(file));
    expect(record.sha256.startsWith(done![3]!)).to.equal(true);
    expect(record.duration_ms).to.be.greaterThan(1_000);
    expect(record.verify_ms).to.be.greaterThan(0);
    // The manifest is the database at dump time: the writer added rows during the dump that it does not hold.
    const ledgerNow = Number((await stack.knex('ledger_entries').count({ n: '*' }).first())!.n);
    const manifest = record.manifest as Record<string, { rows: number; method: string }>;
    expect(written).to.be.greaterThan(0);
    expect(manifest['public.ledger_entries']!.rows).to.be.at.least(10_000).and.lessThan(ledgerNow);
    expect(manifest['public.ledger_entries']!.method).to.equal('record');
    expect(manifest['public.ops_notes']).to.include({ rows: 300, method: 'text' });
    expect(Number(drill![1])).to.equal(Object.keys(manifest).length);
    expect(Number(drill![2])).to.equal(Object.values(manifest).reduce((n, t) => n + t.rows, 0));
    // Beside the file: the record, for a restore when the database that recorded it is gone.
    const sidecar = JSON.parse(await readFile(`${file}.json`, 'utf8'));
    expect(sidecar).to.include({ id, sha256: record.sha256, sizeBytes: Number(record.size_bytes), file: record.file });
    expect(await readdir(path.join(dir, 'files'))).to.have.members([record.file, `${record.file}.json`]);
    expect(await databases(`${dbName()}_drill_`), 'the scratch database is dropped').to.deep.equal([]);

    await stack.client.sendText(ADMIN, '/stats');
    const stats = (await stack.client.waitForMessages(ADMIN, before + 4)).at(-1)!.text!;
    expect(stats).to.match(new RegExp(`\\nNewest verified backup: #${id}, 0\\.0 h ago \\([\\d.]+ MB\\)$`));

    const metrics = await createMetricsRegistry(stack.redis, stack.config.QUEUE_PREFIX, stack.workers!.deps.queues, stack.knex).metrics();
    const at = Number(/^switchyard_backup_last_success_timestamp_seconds (\S+)$/m.exec(metrics)![1]);
    expect(Math.abs(at - new Date(record.finished_at).getTime() / 1000)).to.be.lessThan(1);
    expect(metrics).to.match(/^switchyard_backup_newest_drill_failed 0$/m);
  });

  it('a corrupted file fails its drill loudly: verdict failed, the admins alerted, metrics show it, no retry', async () => {
    const id = await backupNow();
    const record = await row(id);
    const file = path.join(dir, 'files', record.file);
    const bytes = await readFile(file);
    bytes.fill(0x41, Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 64);
    await writeFile(file, bytes);
    const before = (await stack.client.messages(ADMIN)).length;

    const drill = await finished(await queue().add('backup.verify', { backupId: id, requestedBy: { chatId: ADMIN, lang: 'ru' } }));
    expect(await drill.getState()).to.equal('failed');
    expect(drill.attemptsMade, 'never retried').to.equal(1);
    const after = await row(id);
    expect(after).to.include({ verdict: 'failed', drills: 2 });
    expect(after.verify_error).to.match(/^sha256 mismatch: .* changed after it was written/);
    const texts = (await stack.client.waitForMessages(ADMIN, before + 2, 15_000)).slice(before).map((m) => m.text!);
    const told = new RegExp(`^❌ Резервная копия №${id} НЕ прошла проверочное восстановление: sha256 mismatch`);
    const alerted = /^⚠️ backups\/backup\.verify\njob failed for good: sha256 mismatch/;
    expect(texts.some((t) => told.test(t)), texts.join('\n---\n')).to.equal(true);
    expect(texts.some((t) => alerted.test(t)), texts.join('\n---\n')).to.equal(true);

    // A dump that was bad when it was written (its sha256 matches the record): pg_restore itself must fail the drill.
    const id2 = await backupNow();
    const file2 = path.join(dir, 'files', (await row(id2)).file);
    const half = (await readFile(file2)).subarray(0, 4_000);
    await writeFile(file2, half);
    await stack.knex('backups').where({ id: id2 }).update({ sha256: createHash('sha256').update(half).digest('hex') });
    const drill2 = await finished(await queue().add('backup.verify', { backupId: id2 }));
    expect(await drill2.getState()).to.equal('failed');
    expect((await row(id2)).verify_error).to.match(/^pg_restore failed \(exit 1\)/);
    expect(await databases(`${dbName()}_drill_`), 'the scratch database is dropped').to.deep.equal([]);

    const metrics = await createMetricsRegistry(stack.redis, stack.config.QUEUE_PREFIX, stack.workers!.deps.queues, stack.knex).metrics();
    expect(metrics).to.match(/^switchyard_backup_newest_drill_failed 1$/m);
    await waitFor(async () => /switchyard_backups_total\{operation="verify",outcome="failed"\} 2/.test(
      await createMetricsRegistry(stack.redis, stack.config.QUEUE_PREFIX, stack.workers!.deps.queues, stack.knex).metrics(),
    ), 'failed drills counted', 5_000);
    // Age of the newest *verified* backup still kept: the two failed ones do not count (0 when none is left).
    const newestPassed = await stack.knex('backups').where({ verdict: 'passed' }).whereNull('pruned_at').max({ at: 'finished_at' }).first();
    const at = Number(/^switchyard_backup_last_success_timestamp_seconds (\S+)$/m.exec(metrics)![1]);
    expect(Math.abs(at - (newestPassed?.at ? new Date(newestPassed.at).getTime() / 1000 : 0))).to.be.lessThan(1);
  });

  it('two backup.run jobs at once on two workers: one dumps, the other is refused; one row, one file', async () => {
    const second: WorkerProcess = await startWorkerProcess({ ...stack.config, WORKER_QUEUES: ['backups'] }, workerDefinitions, stack.log);
    try {
      const rowsBefore = Number((await stack.knex('backups').count({ n: '*' }).first())!.n);
      const jobs = await queue().addBulk([{ name: 'backup.run', data: { trigger: 'board' } }, { name: 'backup.run', data: { trigger: 'board' } }]);
      const results = await Promise.all(jobs.map(async (j) => (await finished(j)).returnvalue as { backupId?: number; refused?: string }));
      const ran = results.filter((r) => r.backupId);
      const refused = results.filter((r) => r.refused);
      expect(ran, JSON.stringify(results)).to.have.length(1);
      expect(refused[0]!.refused).to.equal('another backup or restore drill is running');
      expect(Number((await stack.knex('backups').count({ n: '*' }).first())!.n)).to.equal(rowsBefore + 1);
      await waitFor(async () => (await row(ran[0]!.backupId!))?.verdict === 'passed', 'its drill passed', 60_000);
    } finally {
      await second.close();
    }
  });

  it('a drill drops the scratch databases an interrupted drill left', async () => {
    const orphan = `${dbName()}_drill_999999`;
    await onServer(TEST_DATABASE_URL, (c) => c.query(`CREATE DATABASE "${orphan}"`));
    expect(await databases(orphan)).to.deep.equal([orphan]);
    const id = await backupNow();
    expect((await row(id)).verdict).to.equal('passed');
    expect(await databases(`${dbName()}_drill_`)).to.deep.equal([]);
  });

  it('npm run restore: same rows in a new database; without --yes nothing is written; a wrong sha256 is refused', async () => {
    const id = await backupNow();
    const record = await row(id);
    expect(record.verdict).to.equal('passed');
    const target = `${dbName()}_restored`;
    const env = { ...process.env, NODE_ENV: 'test', ...databaseEnv(db.url), BACKUP_DIR: path.join(dir, 'files'), LOG_LEVEL: 'error' };
    const restore = (...args: string[]) =>
      run(process.execPath, [path.join(ROOT, 'dist/src/ops/restore.main.js'), ...args], { env, cwd: ROOT }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    const dry = await restore(String(id), '--target', target);
    expect(dry.code).to.equal(0);
    expect(dry.stdout).to.include('sha256 matches the database record').and.include('Add --yes to go ahead.');
    expect(await databases(target), 'a dry run creates nothing').to.deep.equal([]);

    const done = await restore(String(id), '--target', target, '--yes');
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.include('Every table matches the database at dump time');
    await withClient(withDatabase(db.url, target), async (client) => {
      for (const [table, f] of Object.entries(record.manifest as Record<string, { rows: number }>)) {
        const [schema, name] = table.split('.');
        const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}"."${name}"`);
        expect(rows[0].n, table).to.equal(f.rows);
      }
    });
    const again = await restore(String(id), '--target', target, '--yes');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/^Refused: The database "\S+_restored" already has \d+ table\(s\)/);
    const live = await restore(String(id), '--target', dbName(), '--yes');
    expect(live.stderr).to.match(/^Refused: The target is the live database/);

    // With the database that recorded it gone, the sidecar beside the file is the record.
    const file = path.join(dir, 'files', record.file);
    const fromSidecar = await run(process.execPath, [path.join(ROOT, 'dist/src/ops/restore.main.js'), file, '--target', withDatabase(directUrl(db.url), `${target}2`), '--yes'], {
      env: { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/gone', DATABASE_DIRECT_URL: 'postgres://postgres@127.0.0.1:1/gone' }, cwd: ROOT,
    });
    expect(fromSidecar.stdout).to.include('sha256 matches the sidecar file').and.include('Every table matches');

    // One byte more and the file is not the backup that was recorded.
    await writeFile(file, Buffer.concat([await readFile(file), Buffer.from([0])]));
    const wrong = await restore(String(id), '--target', `${target}3`, '--yes');
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.match(/^Refused: sha256 mismatch: \S+ hashes to [0-9a-f]{64}, but the database record says [0-9a-f]{64}/);
    expect(await databases(`${target}3`)).to.deep.equal([]);
  });
});

describe('backups: retention', function () {
  this.timeout(120_000);
  const own = ownStackFor({ env: async () => ({ BACKUP_KEEP_DAILY: '2', BACKUP_KEEP_WEEKLY: '0' }) });

  it('a passed drill prunes old verified files only: never a failed or undrilled one, never the newest good one', async () => {
    const { stack, dir } = own();
    const day = 86_400_000;
    const now = Date.now();
    // Yesterday noon (UTC): two backups on that day, the later one kept as that day's newest.
    const yesterday = Math.floor((now - day) / day) * day + 12 * 3_600_000;
    const seeded = [
      { name: 'old-passed-5d', at: now - 5 * day, verdict: 'passed' },
      { name: 'old-passed-4d', at: now - 4 * day, verdict: 'passed' },
      { name: 'old-failed-6d', at: now - 6 * day, verdict: 'failed' },
      { name: 'old-undrilled-7d', at: now - 7 * day, verdict: null },
      { name: 'yesterday-early', at: yesterday - 3_600_000, verdict: 'passed' },
      { name: 'yesterday-late', at: yesterday, verdict: 'passed' },
    ];
    const folder = path.join(dir, 'files');
    await mkdir(folder, { recursive: true });
    const ids: Record<string, number> = {};
    for (const s of seeded) {
      await writeFile(path.join(folder, `${s.name}.dump`), s.name);
      await writeFile(path.join(folder, `${s.name}.dump.json`), '{}');
      const [r] = await stack.knex('backups')
        .insert({ status: 'done', trigger: 'schedule', file: `${s.name}.dump`, size_bytes: s.name.length, sha256: 'x', started_at: new Date(s.at), finished_at: new Date(s.at), verdict: s.verdict, manifest: '{}' })
        .returning('id');
      ids[s.name] = Number(r.id);
    }
    const job = await stack.workers!.deps.queues.get('backups').add('backup.run', { trigger: 'board' });
    await waitFor(async () => (await job.getState()) === 'completed', 'backup written', 60_000);
    const newId = (await stack.workers!.deps.queues.get('backups').getJob(job.id!))!.returnvalue.backupId as number;
    // The drill's job, done: its verdict, then retention.
    await waitFor(async () => (await (await stack.workers!.deps.queues.get('backups').getJob(`verify-${newId}`))?.getState()) === 'completed', 'drill done', 60_000);
    expect((await stack.knex('backups').where({ id: newId }).first()).verdict).to.equal('passed');

    const files = await readdir(folder);
    const kept = ['old-failed-6d', 'old-undrilled-7d', 'yesterday-late'];
    const pruned = ['old-passed-5d', 'old-passed-4d', 'yesterday-early'];
    for (const name of kept) expect(files, name).to.include.members([`${name}.dump`, `${name}.dump.json`]);
    for (const name of pruned) expect(files, name).to.not.include(`${name}.dump`).and.not.include(`${name}.dump.json`);
    const fresh = await stack.knex('backups').where({ id: newId }).first();
    expect(files, 'the newest good one').to.include(fresh.file);
    expect(fresh.pruned_at).to.equal(null);
    const rows = await stack.knex('backups').whereIn('id', Object.values(ids)).select('id', 'pruned_at');
    expect(rows.filter((r) => r.pruned_at).map((r) => Number(r.id))).to.have.members(pruned.map((n) => ids[n]!));
  });
});

describe('backups: a dump that fails', function () {
  this.timeout(60_000);
  const own = ownStackFor({
    // Writes 200 KB of a dump, then loses its connection, as pg_dump does when the server goes away mid-dump.
    env: async (d) => ({
      PG_DUMP_BIN: await standIn(d, 'pg_dump', 'failing-pg_dump', 'head -c 200000 /dev/zero\necho "pg_dump: error: connection to server was lost" >&2\nexit 1'),
    }),
  });

  it('leaves no partial file, records the failure and retries a minute later', async () => {
    const { stack, dir } = own();
    const queue = stack.workers!.deps.queues.get('backups');
    // As the catalogue queues it (enqueue applies its options): 3 attempts, exponential backoff from 60 s.
    const job = await stack.workers!.deps.enqueue('backup.run', { trigger: 'board' });
    await waitFor(async () => (await job.getState()) === 'delayed', 'the job waits for its retry', 20_000);
    const rows = await stack.knex('backups').select('*');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ status: 'failed', file: null, verdict: null });
    expect(rows[0].error).to.equal('pg_dump failed (exit 1): pg_dump: error: connection to server was lost');
    expect(await readdir(path.join(dir, 'files')), 'no partial or whole file is left').to.deep.equal([]);
    const fresh = (await queue.getJob(job.id!))!;
    expect(fresh.attemptsMade).to.equal(1);
    expect(fresh.delay, 'retried a minute later, not at once').to.equal(60_000);
  });
});

describe('backups: a drill that loses its lock', function () {
  this.timeout(60_000);
  const own = ownStackFor({
    // While <dir>/hold exists, pg_restore waits for <dir>/go: the test acts between the scratch database's creation
    // and the restore, however slow the machine.
    env: async (d) => ({
      PG_RESTORE_BIN: await standIn(d, 'pg_restore', 'gated-pg_restore', `if [ -f ${d}/hold ]; then while [ ! -f ${d}/go ]; do sleep 0.05; done; fi\nexec pg_restore "$@"`),
    }),
  });

  it('a re-drill whose session ends while another worker prunes its file records no false "failed", then runs again and skips it', async () => {
    const { stack, db, dir } = own();
    const queue = stack.workers!.deps.queues.get('backups');
    const run = await queue.add('backup.run', { trigger: 'board' });
    await waitFor(async () => (await run.getState()) === 'completed', 'backup written', 30_000);
    const id = (await queue.getJob(run.id!))!.returnvalue.backupId as number;
    const row = () => stack.knex('backups').where({ id }).first();
    await waitFor(async () => (await row())?.verdict === 'passed', 'its first drill passed', 30_000);

    // The scheduled re-drill of the same file, held just before its pg_restore.
    await writeFile(path.join(dir, 'hold'), '');
    const drill = await queue.add('backup.verify', { backupId: id });
    await waitFor(async () => (await databases(`${databaseOf(db.url)}_drill_`)).length === 1, 'the re-drill restoring', 30_000);
    // Its lock session ends (a server restart, a terminated backend); another worker takes the lock, and its retention
    // removes this (verified, no longer newest) file while pg_restore is about to read it.
    await onServer(TEST_DATABASE_URL, (c) =>
      c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'switchyard-backups' AND datname = $1`, [databaseOf(db.url)]),
    );
    const file = path.join(dir, 'files', (await row()).file);
    await rm(file);
    await rm(`${file}.json`);
    await stack.knex('backups').where({ id }).update({ pruned_at: new Date() });
    await writeFile(path.join(dir, 'go'), '');

    // pg_restore fails (its file is gone); the drill, without its lock, records nothing and runs again, no attempt spent.
    await waitFor(async () => (await drill.getState()) === 'delayed', 'the re-drill waits to run again', 20_000);
    expect((await row()).verdict, 'no false "failed" on a backup retention removed').to.equal('passed');
    await waitFor(async () => (await drill.getState()) === 'completed', 'the re-drill ran again', 30_000);
    const done = (await queue.getJob(drill.id!))!;
    expect(done.returnvalue).to.deep.equal({ skipped: `backup #${id} has no kept file` });
    expect(done.attemptsMade, 'no attempt spent on the lost lock').to.equal(1);
    expect(done.data.lockLosses).to.equal(1);
    expect((await row()).verdict).to.equal('passed');
    expect(await databases(`${databaseOf(db.url)}_drill_`), 'the scratch database the first run left is dropped').to.deep.equal([]);
  });
});
