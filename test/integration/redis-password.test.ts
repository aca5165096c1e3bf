import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { closeRedis, connectRedis, createRedis } from '../../src/lib/redis';
import type { ComposeFile } from '../support/compose';
import { freePort } from '../support/own-redis';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const PASSWORD = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** The compose Redis, started here as compose starts it: config/redis.conf plus --requirepass. */
describe('Redis with a password, as docker-compose runs it', function () {
  this.timeout(30_000);
  let port: number;
  let dir: string;
  let child: ChildProcess;

  before(async () => {
    port = await freePort();
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-redis-pw-'));
    const args = (compose.services.redis!.command as string[]).slice(1).map((a) => (a.startsWith('${REDIS_PASSWORD') ? PASSWORD : a));
    // Only what a container provides differently: its data folder (/data), and loopback instead of the compose network.
    args[0] = path.join(dir, 'redis.conf');
    writeFileSync(args[0], readFileSync(path.join(ROOT, 'config/redis.conf'), 'utf8').replace(/^dir \/data$/m, `dir ${dir}`));
    child = spawn('redis-server', [...args, '--bind', '127.0.0.1', '--port', String(port)], { stdio: 'ignore' });
    await waitFor(async () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() !== '', 'redis-server', 10_000);
  });
  after(async () => {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (env: Record<string, string>) =>
    spawnSync('sh', ['-c', (compose.services.redis!.healthcheck as { test: string[] }).test[1]!.replace('redis-cli', `redis-cli -p ${port}`)], {
      env: { PATH: process.env.PATH, ...env },
    }).status;
  const appCheck = (url: string) => {
    const test = (compose.services.bot!.healthcheck as { test: string[] }).test;
    return spawnSync(test[1]!, test.slice(2), { cwd: ROOT, env: { PATH: process.env.PATH, REDIS_URL: url }, timeout: 10_000 }).status;
  };

  it('refuses a client without the password', () => {
    expect(spawnSync('redis-cli', ['-p', String(port), 'set', 'k', 'v'], { encoding: 'utf8' }).stdout).to.match(/NOAUTH/);
  });

  it('the redis healthcheck passes with REDISCLI_AUTH and fails without it or with a wrong one', () => {
    expect(cli({ REDISCLI_AUTH: PASSWORD })).to.equal(0);
    expect(cli({})).to.equal(1);
    expect(cli({ REDISCLI_AUTH: 'wrong' })).to.equal(1);
  });

  it('the apps connect with REDIS_URL=redis://:<password>@…, and their healthcheck tells a wrong password apart', async () => {
    const redis = createRedis(`redis://:${PASSWORD}@127.0.0.1:${port}`, 'producer');
    try {
      await connectRedis(redis);
      expect(await redis.set('switchyard:pw-test', 'ok')).to.equal('OK');
      expect(await redis.config('GET', 'protected-mode')).to.deep.equal(['protected-mode', 'yes']);
      expect(await redis.config('GET', 'maxmemory-policy')).to.deep.equal(['maxmemory-policy', 'noeviction']);
    } finally {
      await closeRedis(redis);
    }
    expect(appCheck(`redis://:${PASSWORD}@127.0.0.1:${port}`)).to.equal(0);
    expect(appCheck(`redis://:wrong@127.0.0.1:${port}`)).to.equal(1);
    expect(appCheck(`redis://127.0.0.1:${port}`)).to.equal(1);
  });
});
