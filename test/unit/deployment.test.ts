import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { configSchema, parseConfig, QUEUE_NAMES } from '../../src/config';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

/** No Docker engine here: the compose file and Procfile are checked for what an operator relies on. */
describe('deployment files', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Record<string, unknown>> };
  const procfile = Object.fromEntries(
    read('Procfile').trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );

  it('the Procfile runs bot, worker, avatars, transcripts, backups, web and a release migration from the compiled code', () => {
    expect(Object.keys(procfile).sort()).to.deep.equal(['avatars', 'backups', 'bot', 'release', 'transcripts', 'web', 'worker']);
    expect(procfile.release).to.include('migrate');
  });

  it('compose has every process with the Procfile command, plus redis and postgres with healthchecks', () => {
    for (const name of ['bot', 'worker', 'avatars', 'transcripts', 'backups', 'web', 'release']) {
      expect((compose.services[name]!.command as string[]).join(' '), name).to.equal(procfile[name]);
    }
    expect(compose.services.redis!.healthcheck).to.be.an('object');
    expect(compose.services.postgres!.healthcheck).to.be.an('object');
    expect(compose.services.web!.healthcheck).to.be.an('object');
    expect(compose.services.worker!.depends_on).to.have.property('release');
  });

  it('the worker, avatars, transcripts and backups processes run every queue once between them, image, speech and dumps apart', () => {
    const queuesOf = (command: string) => parseConfig({ WORKER_QUEUES: /--queues=(\S+)/.exec(command)![1] }).WORKER_QUEUES;
    expect(queuesOf(procfile.avatars!)).to.deep.equal(['avatars']);
    expect(queuesOf(procfile.transcripts!)).to.deep.equal(['transcripts']);
    expect(queuesOf(procfile.backups!)).to.deep.equal(['backups']);
    const all = [procfile.worker!, procfile.avatars!, procfile.transcripts!, procfile.backups!].flatMap(queuesOf);
    expect(all.sort()).to.deep.equal([...QUEUE_NAMES].sort());
  });

  it('compose runs Prometheus and Grafana with the config/ files provisioned', () => {
    expect(JSON.stringify(compose.services.prometheus)).to.include('alerts.yml');
    expect(JSON.stringify(compose.services.grafana)).to.include('config/grafana/dashboards');
  });

  it('compose Redis keeps an append-only file and never evicts queue keys', () => {
    const conf = read('config/redis.conf');
    expect(conf).to.match(/^appendonly yes$/m);
    expect(conf).to.match(/^maxmemory-policy noeviction$/m);
    expect(JSON.stringify(compose.services.redis)).to.include('redis.conf');
  });

  it('compose keeps backup files on a volume of their own, where BACKUP_DIR points', () => {
    const backups = compose.services.backups!;
    expect((backups.environment as Record<string, string>).BACKUP_DIR).to.equal('/app/backups');
    expect(backups.volumes).to.deep.equal(['backups-data:/app/backups']);
    expect(Object.keys((compose as unknown as { volumes: Record<string, unknown> }).volumes)).to.include('backups-data');
  });

  it('.env.example and the README document every configuration variable', () => {
    const example = read('.env.example');
    const readme = read('README.md');
    for (const key of Object.keys(configSchema.shape)) {
      expect(example, `.env.example lacks ${key}`).to.match(new RegExp(`^${key}=`, 'm'));
      expect(readme, `README lacks ${key}`).to.include(`\`${key}\``);
    }
  });
});
