import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import { expect } from 'chai';
import sharp from 'sharp';
import { databaseOf, onServer, withDatabase } from '../../src/db/knex';
import { startWorkerProcess } from '../../workers/worker-process';
import { workerDefinitions } from '../../workers';
import { directUrl } from '../support/env';
import { chooseStyle, nextMessage } from '../support/chat';
import { OwnPgBouncer } from '../support/own-pgbouncer';
import { scratchDatabase } from '../support/scratch-db';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * DATABASE_URL through a PgBouncer 1.18 in transaction pooling mode (docs/SCALING.md#pgbouncer): a real `worker`
 * process with DATABASE_PREPARED_STATEMENTS=off charges an avatar exactly once, and a backup (a session advisory lock
 * and an exported snapshot, which transaction pooling would break) succeeds and passes its drill on
 * DATABASE_DIRECT_URL: the drill's scratch database never goes through the pooler.
 */
describe('through PgBouncer (transaction pooling)', function () {
  this.timeout(60_000);
  let bouncer: OwnPgBouncer;
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let stack: Stack;
  let dir: string;
  let child: ChildProcess | undefined;

  before(async () => {
    bouncer = await OwnPgBouncer.start();
    db = await scratchDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'switchyard-pgbouncer-test-'));
    const direct = directUrl(db.url);
    stack = await Stack.start({
      workers: false,
      env: {
        DATABASE_URL: bouncer.url(direct),
        DATABASE_DIRECT_URL: direct,
        DATABASE_PREPARED_STATEMENTS: 'off',
        BACKUP_DIR: path.join(dir, 'files'),
        WELCOME_BONUS: '50',
        PRICE_AVATAR: '20',
      },
      limits: { enabled: false },
    });
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await stack?.stop();
    await db?.drop();
    await bouncer?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('npm run migrate creates and migrates a new database on DATABASE_DIRECT_URL while DATABASE_URL is the pooler', async () => {
    const name = `switchyard_scratch_${randomBytes(4).toString('hex')}`;
    const direct = withDatabase(directUrl(db.url), name);
    try {
      const run = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/db/migrate.main.js')], {
        cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, DATABASE_URL: bouncer.url(direct), DATABASE_DIRECT_URL: direct },
      });
      expect(run.stderr).to.equal('');
      expect(run.stdout).to.match(new RegExp(`^created database ${name}; applied `));
      expect((await bouncer.admin<{ name: string }>('SHOW DATABASES')).map((r) => r.name)).not.to.include(name);
    } finally {
      await onServer(direct, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });

  it('a worker process charges an avatar once (hold, capture), and its transactions went through the pooler', async () => {
    child = spawn(process.execPath, [path.join(ROOT, 'dist/workers/main.js'), '--queues=interactive,billing,avatars,notifications'], {
      cwd: ROOT, env: stack.childEnv({ WELCOME_BONUS: '50', PRICE_AVATAR: '20', LOG_LEVEL: 'error' }), stdio: 'ignore',
    });
    const user = await stack.registered();
    const photo = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#2255aa' } }).jpeg().toBuffer();
    const { messageId } = await chooseStyle(stack.client, user.id, () => stack.client.sendPhoto(user.id, photo, { width: 400, height: 300 }));
    const sent = await nextMessage(stack.client, user.id, 0, (m) => !!m.photo, 30_000);
    expect(sent.caption).to.equal('Your avatar is ready: 20 coins were charged.');
    const key = `avatar:${user.id}:${messageId}:square`;
    expect(await stack.knex('ledger_entries').where({ reference: key }).orderBy('id').pluck('kind')).to.deep.equal(['hold', 'capture']);
    expect(await stack.balanceOf(user.id)).to.equal(30);

    const stats = await bouncer.stats();
    const ours = stats.find((s) => s.database === databaseOf(db.url));
    expect(ours?.transactions, JSON.stringify(stats)).to.be.greaterThan(10);
  });

  it('a backup and its drill succeed while DATABASE_URL is the pooler: the lock, pg_dump and the drill go direct', async () => {
    // The backups queue runs in this process, configured as the child is (DATABASE_URL the pooler).
    stack.workers = await startWorkerProcess({ ...stack.config, WORKER_QUEUES: ['backups'] }, workerDefinitions, stack.log);
    const backups = stack.workers.deps.queues.get('backups');
    const job: Job = await backups.add('backup.run', { trigger: 'board' });
    await waitFor(async () => ['completed', 'failed'].includes(await job.getState()), 'backup.run finished', 40_000);
    const done = (await backups.getJob(job.id!))!;
    const id = (done.returnvalue as { backupId?: number } | undefined)?.backupId;
    expect(id, done.failedReason ?? JSON.stringify(done.returnvalue)).to.be.a('number');
    await waitFor(async () => (await stack.knex('backups').where({ id }).first())?.verdict != null, `backup #${id} drilled`, 40_000);
    const row = await stack.knex('backups').where({ id }).first();
    expect(row).to.include({ status: 'done', verdict: 'passed' });

    // pgbouncer registers every database a client asks it for: the drill's never was.
    const seen = (await bouncer.admin<{ name: string }>('SHOW DATABASES')).map((r) => r.name);
    expect(seen).to.include(databaseOf(db.url));
    expect(seen.filter((n) => n.includes('_drill_')), seen.join(', ')).to.deep.equal([]);
  });
});
