import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, parseConfig } from '../../src/config';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('config', () => {
  it('fills documented defaults when nothing is set', () => {
    const c = parseConfig({});
    expect(c.BOT_MODE).to.equal('polling');
    expect(c.TELEGRAM_API_ROOT).to.equal('https://api.telegram.org');
    expect(c.WORKER_QUEUES).to.deep.equal(['interactive', 'billing', 'transcripts', 'avatars', 'notifications', 'backups']);
  });

  it('backups run daily at 03:00 UTC and are drilled again at 15:00 unless told otherwise; off turns a schedule off', () => {
    expect(parseConfig({})).to.include({ BACKUP_CRON: '0 3 * * *', BACKUP_VERIFY_CRON: '0 15 * * *', BACKUP_KEEP_DAILY: 7, BACKUP_KEEP_WEEKLY: 4 });
    const c = parseConfig({ BACKUP_CRON: ' 30  2 * * 1-5 ', BACKUP_VERIFY_CRON: 'off' });
    expect(c.BACKUP_CRON).to.equal('30 2 * * 1-5');
    expect(c.BACKUP_VERIFY_CRON).to.equal(null);
  });

  it('ENCRYPTION_KEY takes keys in base64 or hex, the first one first', () => {
    const a = Buffer.alloc(32, 7);
    const b = Buffer.alloc(32, 9);
    expect(parseConfig({ ENCRYPTION_KEY: `${a.toString('base64')}, ${b.toString('hex')}` }).ENCRYPTION_KEY).to.deep.equal([a, b]);
    expect(parseConfig({}).ENCRYPTION_KEY).to.equal(undefined);
  });

  it('parses lists: WORKER_QUEUES and ADMIN_IDS', () => {
    const c = parseConfig({ WORKER_QUEUES: 'interactive, billing, notifications', ADMIN_IDS: '1,22, 333' });
    expect(c.WORKER_QUEUES).to.deep.equal(['interactive', 'billing', 'notifications']);
    // The Procfile's general worker: every queue but the one that has its own process.
    expect(parseConfig({ WORKER_QUEUES: 'all,-avatars' }).WORKER_QUEUES).to.deep.equal(['interactive', 'billing', 'transcripts', 'notifications', 'backups']);
    expect(() => parseConfig({ WORKER_QUEUES: 'billing,-avatars' })).to.throw(/WORKER_QUEUES/);
    expect(c.ADMIN_IDS).to.deep.equal([1, 22, 333]);
  });

  it('the web port comes from WEB_PORT, or from PORT (Heroku) when WEB_PORT is unset', () => {
    expect(parseConfig({}).WEB_PORT).to.equal(3000);
    expect(parseConfig({ PORT: '5123' }).WEB_PORT).to.equal(5123);
    expect(parseConfig({ PORT: '5123', WEB_PORT: '4000' }).WEB_PORT).to.equal(4000);
  });

  it('REDIS_CLUSTER_NODES takes host:port entries or redis(s):// URLs; a bad entry is named', () => {
    expect(parseConfig({ REDIS_CLUSTER_NODES: 'redis-a:6379, 10.0.0.2:7000,rediss://:pw@redis-c:6380' }).REDIS_CLUSTER_NODES).to.deep.equal([
      'redis-a:6379', '10.0.0.2:7000', 'rediss://:pw@redis-c:6380',
    ]);
    expect(parseConfig({}).REDIS_CLUSTER_NODES).to.equal(undefined);
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: 'redis-a:6379,redis-b' })).to.throw(/^Invalid configuration: REDIS_CLUSTER_NODES: expected host:port entries/);
  });

  it('DATABASE_DIRECT_URL is DATABASE_URL unless set (a PgBouncer in front: migrations and backups still reach Postgres itself)', () => {
    expect(parseConfig({}).DATABASE_DIRECT_URL).to.equal('postgres://postgres@127.0.0.1:5432/switchyard');
    expect(parseConfig({ DATABASE_URL: 'postgres://app@pgbouncer:6432/sy' }).DATABASE_DIRECT_URL).to.equal('postgres://app@pgbouncer:6432/sy');
    const c = parseConfig({ DATABASE_URL: 'postgres://app@pgbouncer:6432/sy', DATABASE_DIRECT_URL: 'postgresql://app@db:5432/sy' });
    expect(c).to.include({ DATABASE_URL: 'postgres://app@pgbouncer:6432/sy', DATABASE_DIRECT_URL: 'postgresql://app@db:5432/sy' });
  });

  it('DATABASE_POOL_MAX is unset by default (each process keeps its own size) and takes 1 to 1000', () => {
    expect(parseConfig({}).DATABASE_POOL_MAX).to.equal(undefined);
    expect(parseConfig({ DATABASE_POOL_MAX: '4' }).DATABASE_POOL_MAX).to.equal(4);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['DATABASE_DIRECT_URL', { DATABASE_DIRECT_URL: 'pgbouncer:6432' }, /^Invalid configuration: DATABASE_DIRECT_URL: expected a postgres:\/\/ URL \(got "pgbouncer:6432"\)$/],
    ['DATABASE_POOL_MAX', { DATABASE_POOL_MAX: '0' }, /^Invalid configuration: DATABASE_POOL_MAX: expected a whole number from 1 to 1000/],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }, /^Invalid configuration: REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL \(got "localhost:6379"\)$/],
    ['WEB_PORT', { WEB_PORT: '70000' }, /^Invalid configuration: WEB_PORT: expected a whole number from 0 to 65535/],
    ['WORKER_QUEUES', { WORKER_QUEUES: 'billing,images' }, /WORKER_QUEUES: .*unknown: images/],
    ['BOT_MODE', { BOT_MODE: 'push' }, /BOT_MODE: expected polling or webhook/],
    ['ADMIN_IDS', { ADMIN_IDS: '12,abc' }, /ADMIN_IDS: expected Telegram user ids/],
    ['TRANSCRIPT_ENGINE', { TRANSCRIPT_ENGINE: 'vosk' }, /TRANSCRIPT_ENGINE: expected pocketsphinx, openai or whisper-cpp/],
    // A key of the wrong length is refused, and not echoed.
    ['ENCRYPTION_KEY', { ENCRYPTION_KEY: 'c2hvcnQ=' }, /^Invalid configuration: ENCRYPTION_KEY: expected keys of 32 bytes in base64 or hex, comma separated \(openssl rand -base64 32\) \(value hidden\)$/],
    ['ENCRYPTION_KEY in production', { NODE_ENV: 'production' }, /^Invalid configuration: ENCRYPTION_KEY is required in production/],
    ['WHISPER_CPP_MODEL', { TRANSCRIPT_ENGINE: 'whisper-cpp' }, /TRANSCRIPT_ENGINE=whisper-cpp needs WHISPER_CPP_MODEL/],
    // Five fields that cron-parser (BullMQ's) cannot read are refused at start, not at 03:00.
    ['BACKUP_CRON', { BACKUP_CRON: '0 25 * * *' }, /^Invalid configuration: BACKUP_CRON: expected a five-field cron expression such as "0 3 \* \* \*" \(UTC\), or off \(got "0 25 \* \* \*"\)$/],
    ['BACKUP_VERIFY_CRON', { BACKUP_VERIFY_CRON: 'daily' }, /BACKUP_VERIFY_CRON: expected a five-field cron expression/],
  ];
  for (const [name, env, message] of bad) {
    it(`names ${name} and the expected form when it is wrong`, () => {
      expect(() => parseConfig(env)).to.throw(ConfigError, message);
    });
  }

  it('never echoes a bad secret value', () => {
    expect(() => parseConfig({ BOT_TOKEN: 'not-a-token-but-a-secret' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/BOT_TOKEN: .*\(value hidden\)$/)
      .and.not.include('not-a-token');
  });

  it('never echoes the password inside a bad URL', () => {
    expect(() => parseConfig({ DATABASE_URL: 'mysql://admin:hunter2@db/x' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.equals('Invalid configuration: DATABASE_URL: expected a postgres:// URL (got "mysql://***@db/x")');
  });

  it('webhook mode needs its URL and secret', () => {
    expect(() => parseConfig({ BOT_MODE: 'webhook' })).to.throw(/BOT_MODE=webhook needs WEBHOOK_URL and WEBHOOK_SECRET/);
  });

  it('a process started with a bad value stops with one line naming it', () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'dist/workers/main.js')], {
      env: { PATH: process.env.PATH, REDIS_URL: 'http://nope' },
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.status).to.equal(1);
    expect(run.stderr.trim().split('\n')).to.deep.equal(['Invalid configuration: REDIS_URL: expected a redis:// or rediss:// URL (got "http://nope")']);
  });
});
