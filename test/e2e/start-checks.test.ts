import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../support/own-redis';
import { TEST_DATABASE_URL } from '../support/env';
import { serverMajor } from '../../src/adapters/postgres-tools';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const run = (script: string, env: Record<string, string>, args: string[] = []) =>
  spawnSync(process.execPath, [path.join(ROOT, 'dist', script), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });

/** What an operator sees when the machine is not ready, instead of a stack trace. */
describe('start-up checks', () => {
  it('npm start names the unreachable Redis, its address, and the command that starts it', async () => {
    const port = await freePort();
    const r = run('src/ops/start.main.js', { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`Redis is not reachable at 127.0.0.1:${port} (REDIS_URL). Start it with:`);
    expect(r.stderr).to.include('redis-server --daemonize yes');
  });

  it('npm start names the unreachable PostgreSQL the same way', async () => {
    const port = await freePort();
    const r = run('src/ops/start.main.js', { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/switchyard` });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`PostgreSQL is not reachable at 127.0.0.1:${port} (DATABASE_URL). Start it with:`);
    expect(r.stderr).to.include('pg_ctlcluster');
  });

  it('npm start with START_STRICT=true refuses a missing ffmpeg or speech engine, naming the command that installs it', () => {
    const noFfmpeg = run('src/ops/start.main.js', { FFMPEG_BIN: '/nonexistent/ffmpeg', START_STRICT: 'true' });
    expect(noFfmpeg.status).to.equal(1);
    expect(noFfmpeg.stderr).to.include('Transcripts cannot run: ffmpeg is missing (FFMPEG_BIN=/nonexistent/ffmpeg)');
    expect(noFfmpeg.stderr).to.include('apt-get update && apt-get install -y ffmpeg');
    expect(noFfmpeg.stderr).to.include('WORKER_QUEUES=all,-transcripts');
    const noEngine = run('src/ops/start.main.js', { POCKETSPHINX_BIN: 'pocketsphinx_nowhere', NODE_ENV: 'production', ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64') });
    expect(noEngine.status).to.equal(1);
    expect(noEngine.stderr).to.include('pocketsphinx is missing (POCKETSPHINX_BIN=pocketsphinx_nowhere)');
    expect(noEngine.stderr).to.include('apt-get update && apt-get install -y pocketsphinx pocketsphinx-en-us');
  });

  it('a transcripts worker without its engine does not start, and says why', () => {
    const r = run('workers/main.js', { BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ', QUEUE_PREFIX: 'sytest-startcheck', POCKETSPHINX_MODEL_DIR: '/nonexistent/model', DATABASE_URL: TEST_DATABASE_URL }, ['--queues=transcripts']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include('Start-up failed: the pocketsphinx English model is missing (POCKETSPHINX_MODEL_DIR=/nonexistent/model');
  });

  it('npm start with an explicit WORKER_QUEUES refuses a missing pg_restore, and a backups worker with a too old pg_dump does not start', async () => {
    const missing = run('src/ops/start.main.js', { PG_RESTORE_BIN: '/nonexistent/pg_restore', DATABASE_URL: TEST_DATABASE_URL, WORKER_QUEUES: 'all' });
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.include('Backups cannot run: pg_restore is missing (PG_RESTORE_BIN=/nonexistent/pg_restore)');
    expect(missing.stderr).to.include('apt-get update && apt-get install -y postgresql-client');
    expect(missing.stderr).to.include('WORKER_QUEUES=all,-backups');
    // A client older than the server cannot dump it: say which version to install.
    const dir = await mkdtemp(path.join(tmpdir(), 'old-pg-dump-'));
    const old = path.join(dir, 'pg_dump');
    await writeFile(old, '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n');
    await chmod(old, 0o755);
    const server = await serverMajor(TEST_DATABASE_URL);
    const r = run('workers/main.js', { BOT_TOKEN: '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ', QUEUE_PREFIX: 'sytest-startcheck', PG_DUMP_BIN: old, DATABASE_URL: TEST_DATABASE_URL }, ['--queues=backups']);
    await rm(dir, { recursive: true, force: true });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`Start-up failed: pg_dump 9 cannot read the PostgreSQL ${server} server (PG_DUMP_BIN=${old}): install the client of version ${server} or newer`);
  });

  it('the web process refuses to start in production without Bull Board credentials', () => {
    const r = run('src/web/main.js', { NODE_ENV: 'production', WEB_PORT: '0', ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64') });
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.equal(
      'Start-up failed: BOARD_USER and BOARD_PASSWORD are required in production: Bull Board can retry, promote and delete jobs',
    );
  });
});
