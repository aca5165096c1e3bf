import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { freePort } from '../support/own-redis';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const run = (script: string, env: Record<string, string>) =>
  spawnSync(process.execPath, [path.join(ROOT, 'dist', script)], {
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

  it('the web process refuses to start in production without Bull Board credentials', () => {
    const r = run('src/web/main.js', { NODE_ENV: 'production', WEB_PORT: '0' });
    expect(r.status).to.equal(1);
    expect(r.stderr.trim()).to.equal(
      'Start-up failed: BOARD_USER and BOARD_PASSWORD are required in production: Bull Board can retry, promote and delete jobs',
    );
  });
});
