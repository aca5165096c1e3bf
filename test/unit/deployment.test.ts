import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { interpolate, type ComposeFile } from '../support/compose';
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
    expect(backups.volumes).to.include('backups-data:/app/backups');
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

/** docs/DEPLOYMENT.md: what the hardened compose file promises an operator, checked on the parsed file. */
describe('docker-compose, hardened', () => {
  const text = read('docker-compose.yml');
  const raw = parse(text, { merge: true }) as ComposeFile;
  const services = Object.entries(raw.services);
  const ONE_SHOT = ['release'];
  const secrets = {
    REDIS_PASSWORD: 'r3d1s-hex', POSTGRES_PASSWORD: 'pg-hex', GRAFANA_ADMIN_PASSWORD: 'gr-hex',
    ALERT_TELEGRAM_BOT_TOKEN: '123456:ABCdef', ALERT_TELEGRAM_CHAT_ID: '-1001',
  };
  const envOf = (svc: ComposeFile['services'][string]) => (svc.environment ?? {}) as Record<string, string>;

  it('publishes every port on loopback, or where PUBLISH_ADDRESS says on purpose', () => {
    const published = services.flatMap(([name, s]) => ((s.ports ?? []) as string[]).map((p) => [name, p] as const));
    expect(published.map(([n]) => n).sort()).to.deep.equal(['alertmanager', 'grafana', 'pgadmin', 'prometheus', 'web']);
    for (const [name, port] of published) expect(port, name).to.match(/^\$\{PUBLISH_ADDRESS:-127\.0\.0\.1\}:\d+:\d+$/);
    expect(interpolate(raw, secrets).services.web!.ports).to.deep.equal(['127.0.0.1:3000:3000']);
    expect(interpolate(raw, { ...secrets, PUBLISH_ADDRESS: '0.0.0.0' }).services.grafana!.ports).to.deep.equal(['0.0.0.0:3001:3000']);
  });

  it('holds no password, token or secret: each is a variable without a default', () => {
    // Any ${VAR:-default} or ${VAR-default} of a secret-named variable must default to nothing.
    for (const m of text.matchAll(/\$\{([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|AUTH)[A-Z0-9_]*):?-([^}]*)\}/g)) expect(m[2], m[1]).to.equal('');
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(envOf(s))) {
        if (/PASSWORD|SECRET|TOKEN|_AUTH$/.test(key)) expect(String(value), `${name}.${key}`).to.match(/^\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}$/);
      }
    }
    // Credentials in URLs are variables too.
    for (const m of text.matchAll(/[a-z]+:\/\/[^\s:@/]*:([^@\s]*)@/g)) expect(m[1]).to.match(/^\$\{[A-Z_]+\}$/);
  });

  it('refuses to start without the Redis, Postgres and Grafana passwords and the alert chat, naming the variable', () => {
    expect(() => interpolate(raw, secrets)).not.to.throw();
    for (const name of Object.keys(secrets)) {
      const without: Record<string, string> = { ...secrets };
      delete without[name];
      expect(() => interpolate(raw, without), name).to.throw(new RegExp(`${name}.*docs/DEPLOYMENT.md`));
      expect(() => interpolate(raw, { ...without, [name]: '' }), `${name} empty`).to.throw(new RegExp(name));
    }
  });

  it('Redis requires its password, every client passes it, and the healthcheck authenticates', () => {
    const redis = raw.services.redis!;
    const command = redis.command as string[];
    expect(command[command.indexOf('--requirepass') + 1]).to.match(/^\$\{REDIS_PASSWORD:\?/);
    expect(envOf(redis).REDISCLI_AUTH).to.equal('${REDIS_PASSWORD}');
    expect(JSON.stringify(redis.healthcheck)).to.include('grep -q PONG');
    expect(read('config/redis.conf')).to.match(/^protected-mode yes$/m);
    expect(read('config/redis.conf')).not.to.match(/^requirepass/m);
    const resolved = interpolate(raw, secrets).services;
    for (const [name, s] of Object.entries(resolved).filter(([, s]) => s.build)) {
      expect(envOf(s).REDIS_URL, name).to.equal('redis://:r3d1s-hex@redis:6379');
      expect(envOf(s).DATABASE_URL, name).to.equal('postgres://switchyard:pg-hex@postgres:5432/switchyard');
    }
    expect(envOf(resolved['redis-exporter']!).REDIS_PASSWORD).to.equal('r3d1s-hex');
    expect(envOf(resolved.postgres!).POSTGRES_PASSWORD).to.equal('pg-hex');
  });

  it('every long-running service has a healthcheck and a restart policy; the release step runs once', () => {
    for (const [name, s] of services) {
      if (ONE_SHOT.includes(name)) {
        expect(s.restart, name).to.equal('no');
        continue;
      }
      expect(s.restart, name).to.be.oneOf(['unless-stopped', 'always']);
      expect(s.healthcheck, name).to.have.property('test').that.is.an('array');
    }
  });

  it('Grafana takes its admin from the environment and lets nobody sign up or look anonymously', () => {
    const env = envOf(raw.services.grafana!);
    expect(env.GF_SECURITY_ADMIN_PASSWORD).to.match(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    expect(env.GF_USERS_ALLOW_SIGN_UP).to.equal('false');
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).to.equal('false');
  });

  it('pgAdmin runs only with --profile tools, with the Postgres server listed and its login from the environment', () => {
    for (const [name, s] of services) expect(s.profiles, name).to.deep.equal(name === 'pgadmin' ? ['tools'] : undefined);
    const pgadmin = raw.services.pgadmin!;
    expect(pgadmin.image).to.match(/^dpage\/pgadmin4:/);
    expect(pgadmin.volumes).to.include('./config/pgadmin/servers.json:/pgadmin4/servers.json:ro');
    // Required by pgAdmin itself (it exits without both); compose's :? would also stop a plain `up` (profiles apply later).
    expect(envOf(pgadmin)).to.include({ PGADMIN_DEFAULT_EMAIL: '${PGADMIN_EMAIL:-}', PGADMIN_DEFAULT_PASSWORD: '${PGADMIN_PASSWORD:-}' });
    const server = (JSON.parse(read('config/pgadmin/servers.json')) as { Servers: Record<string, Record<string, unknown>> }).Servers['1']!;
    expect(server).to.include({ Host: 'postgres', Port: 5432, Username: 'switchyard', MaintenanceDB: 'switchyard' });
    expect(Object.keys(server).join()).not.to.match(/pass/i);
  });

  it('every service rotates its Docker log; every app process writes JSON log files to the app-logs volume', () => {
    const logging = (raw as unknown as { 'x-logging': unknown })['x-logging'];
    expect(logging).to.deep.equal({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '5' } });
    for (const [name, s] of services) expect(s.logging, name).to.deep.equal(logging);
    expect(text.match(/logging: \*logging/g)!.length).to.be.greaterThan(5);
    const apps = services.filter(([, s]) => s.build);
    expect(apps.map(([n]) => n).sort()).to.deep.equal(['avatars', 'backups', 'bot', 'release', 'transcripts', 'web', 'worker']);
    for (const [name, s] of apps) {
      expect(envOf(s).LOG_DIR, name).to.equal('/app/logs');
      expect(s.volumes, name).to.include('app-logs:/app/logs');
    }
    expect(read('Dockerfile')).to.match(/mkdir -p [^\n]*\/app\/logs && chown node:node [^\n]*\/app\/logs/);
  });

  it('Alertmanager and the Redis exporter run beside Prometheus, which sends its alerts there', () => {
    const am = raw.services.alertmanager!;
    expect(am.image).to.match(/^prom\/alertmanager:/);
    expect(am.volumes).to.include('./config/alertmanager:/etc/alertmanager:ro');
    expect(raw.services['redis-exporter']!.image).to.match(/^oliver006\/redis_exporter:/);
    const prom = parse(read('config/prometheus/prometheus.yml')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(prom.alerting.alertmanagers[0]!.static_configs[0]!.targets).to.deep.equal(['alertmanager:9093']);
    const targets = Object.fromEntries(prom.scrape_configs.map((j) => [j.job_name, j.static_configs[0]!.targets]));
    expect(targets).to.deep.include({ switchyard: ['web:3000'], redis: ['redis-exporter:9121'] });
  });
});
