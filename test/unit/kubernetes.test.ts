import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { configSchema, parseConfig } from '../../src/config';
import type { QueueRegistry } from '../../src/jobs/queues';
import { createLogger } from '../../src/lib/logger';
import type { AuditRepository } from '../../src/repositories/audit.repository';
import { createWebApp } from '../../src/web/app';
import {
  configMap, deployment, envOf, FAKE_SECRETS, isSecretSetting, KUSTOMIZATION, loadKubeSet, podOf, requiredInProduction, SECRET_EXAMPLE,
  workloads, type KubeSet, type Manifest,
} from '../support/kubernetes';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const procfile: Record<string, string> = Object.fromEntries(
  read('Procfile').trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
);
/** docs/SCALING.md and docs/OPERATIONS.md: a polling leader + standby, web behind a Service, the heavy queues apart. */
const REPLICAS: Record<string, number> = { bot: 2, web: 2, worker: 3, avatars: 2, transcripts: 2, backups: 1 };
const commandOf = (m: Manifest) => (podOf(m).containers[0]!.command ?? []).join(' ');
const containers = (set: KubeSet) => workloads(set).flatMap((m) => podOf(m).containers.map((c) => [m, c] as const));
const clone = (set: KubeSet): KubeSet => structuredClone(set);

/** Each check lists what an operator would trip over; [] when the manifests are right. */
const checks = {
  commands(set: KubeSet): string[] {
    const out: string[] = [];
    for (const [name, command] of Object.entries(procfile)) {
      const m = name === 'release' ? workloads(set).find((w) => w.kind === 'Job') : deployment(set, name);
      if (!m) out.push(`${name}: no ${name === 'release' ? 'Job' : 'Deployment'}`);
      else if (commandOf(m) !== command) out.push(`${name}: runs "${commandOf(m)}", the Procfile "${command}"`);
    }
    for (const m of workloads(set)) {
      if (m.kind === 'Deployment' && !procfile[m.metadata.name.replace(/^switchyard-/, '')]) out.push(`${m.metadata.name}: not a Procfile process`);
    }
    return out;
  },
  replicas(set: KubeSet): string[] {
    return Object.entries(REPLICAS).flatMap(([name, n]) => {
      const got = deployment(set, name)?.spec?.replicas;
      return got === n ? [] : [`${name}: ${got} replicas, the docs say ${n}`];
    });
  },
  settings(set: KubeSet): string[] {
    const known = new Set(Object.keys(configSchema.shape));
    const named = [
      ...Object.keys(configMap(set)?.data ?? {}).map((k) => [configMap(set)!.file, k]),
      ...Object.keys(set.secretExample.stringData ?? {}).map((k) => [SECRET_EXAMPLE, k]),
      ...containers(set).flatMap(([m, c]) => (c.env ?? []).map((e) => [m.file, e.name])),
    ];
    const out = named.filter(([, k]) => !known.has(k!)).map(([f, k]) => `${f}: ${k} is no setting of src/config.ts`);
    // Each container's whole environment must parse: a bad value stops that process at start.
    for (const [m, c] of containers(set)) {
      try {
        parseConfig(envOf(set, c));
      } catch (err) {
        out.push(`${m.file}: ${(err as Error).message}`);
      }
    }
    return out;
  },
  required(set: KubeSet): string[] {
    const provided = new Set([...Object.keys(configMap(set)?.data ?? {}), ...Object.keys(set.secretExample.stringData ?? {})]);
    const out = requiredInProduction().filter((k) => !provided.has(k)).map((k) => `${k}: required in production, in neither the ConfigMap nor the Secret`);
    if (configMap(set)?.data?.NODE_ENV !== 'production') out.push('the ConfigMap does not set NODE_ENV=production');
    for (const [m, c] of containers(set)) {
      const from = c.envFrom ?? [];
      if (!from.some((f) => f.configMapRef?.name === configMap(set)?.metadata.name)) out.push(`${m.file}: no envFrom of the ConfigMap`);
      if (!from.some((f) => f.secretRef?.name === set.secretExample.metadata.name)) out.push(`${m.file}: no envFrom of ${set.secretExample.metadata.name}`);
    }
    return out;
  },
  probes(set: KubeSet): string[] {
    const out: string[] = [];
    const web = deployment(set, 'web');
    const c = web && podOf(web).containers[0]!;
    if (!c) return ['no web Deployment'];
    const port = parseConfig(envOf(set, c)).WEB_PORT;
    const http = c.ports?.find((p) => p.containerPort === port);
    if (!http) out.push(`web: no container port ${port} (WEB_PORT)`);
    for (const [probe, want] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
      const get = c[probe]?.httpGet;
      if (get?.path !== want) out.push(`web: ${probe} on ${get?.path}, not ${want}`);
      if (get && get.port !== port && get.port !== http?.name) out.push(`web: ${probe} on port ${get.port}, not WEB_PORT ${port}`);
    }
    const service = set.manifests.find((m) => m.kind === 'Service');
    const labels = web.spec?.template?.metadata?.labels;
    if (!service) out.push('no Service for web');
    else {
      if (!Object.entries(service.spec!.selector ?? {}).every(([k, v]) => labels?.[k] === v)) out.push('the Service selects no web pod');
      const target = service.spec!.ports?.[0]?.targetPort;
      if (target !== port && target !== http?.name) out.push(`the Service targets ${target}, not WEB_PORT ${port}`);
    }
    // The other processes listen on nothing: an HTTP probe there would fail and restart them for ever.
    for (const [m, other] of containers(set).filter(([m]) => m !== web)) {
      if (other.livenessProbe?.httpGet || other.readinessProbe?.httpGet) out.push(`${m.metadata.name}: an HTTP probe on a process without a port`);
    }
    return out;
  },
  gracePeriods(set: KubeSet): string[] {
    return set.manifests.filter((m) => m.kind === 'Deployment').flatMap((m) => {
      const config = parseConfig(envOf(set, podOf(m).containers[0]!));
      // workers/main.ts gives the in-flight jobs SHUTDOWN_TIMEOUT_MS and exits at the latest 10 s later.
      const bound = (config.SHUTDOWN_TIMEOUT_MS + (commandOf(m).includes('workers/main.js') ? 10_000 : 0)) / 1000;
      const grace = podOf(m).terminationGracePeriodSeconds ?? 30;
      return grace > bound ? [] : [`${m.metadata.name}: SIGKILL after ${grace} s, the process may take ${bound} s`];
    });
  },
  kustomization(set: KubeSet): string[] {
    const expected = set.files.filter((f) => f !== SECRET_EXAMPLE);
    return [
      ...expected.filter((f) => !set.resources.includes(f)).map((f) => `${f} is not in ${KUSTOMIZATION}`),
      ...set.resources.filter((f) => !expected.includes(f)).map((f) => `${KUSTOMIZATION} lists ${f}, which ${f === SECRET_EXAMPLE ? 'must stay out' : 'is not there'}`),
    ];
  },
  secrets(set: KubeSet): string[] {
    const out: string[] = [];
    const literal = [/\b\d{5,}:[A-Za-z0-9_-]{30,}/, /[a-z]+:\/\/[^\s/:@"]*:[^\s@"<]+@/, /[A-Za-z0-9+/]{43}=/];
    for (const [file, text] of Object.entries(set.texts)) {
      for (const re of literal) if (re.test(text)) out.push(`${file}: a literal credential (${re.exec(text)![0].slice(0, 12)}…)`);
    }
    for (const m of set.manifests.filter((x) => x.kind === 'Secret')) out.push(`${m.file}: a Secret in the repository`);
    for (const k of Object.keys(configMap(set)?.data ?? {}).filter(isSecretSetting)) out.push(`the ConfigMap holds ${k}`);
    for (const [m, c] of containers(set)) {
      for (const e of (c.env ?? []).filter((x) => isSecretSetting(x.name) && x.value !== undefined)) out.push(`${m.file}: ${e.name} set to a literal`);
    }
    // The example holds placeholders only: <…> where each credential goes.
    for (const [k, v] of Object.entries(set.secretExample.stringData ?? {})) {
      if (!/<[^>]+>/.test(v) || literal.some((re) => re.test(v))) out.push(`${SECRET_EXAMPLE}: ${k} is not a <placeholder>`);
    }
    return out;
  },
  storage(set: KubeSet): string[] {
    const out: string[] = [];
    for (const [m, c] of containers(set)) {
      const pod = podOf(m);
      if (!pod.securityContext?.runAsNonRoot || pod.securityContext.runAsUser !== 1000) out.push(`${m.file}: not run as the image's node user (1000)`);
      if (c.securityContext?.readOnlyRootFilesystem !== true) out.push(`${m.file}: the root filesystem is writable`);
      const mounted = (p: string) => (c.volumeMounts ?? []).find((v) => v.mountPath === p);
      // os.tmpdir(): the transcripts handler converts audio there; a read-only root needs a volume on it.
      if (!mounted('/tmp')) out.push(`${m.file}: nothing writable at /tmp`);
      const config = parseConfig(envOf(set, c));
      if (config.LOG_DIR && !mounted(config.LOG_DIR)) out.push(`${m.file}: LOG_DIR ${config.LOG_DIR} is not a volume`);
      if (config.WORKER_QUEUES.includes('backups') && commandOf(m).includes('--queues=backups')) {
        const dir = path.posix.resolve('/app', config.BACKUP_DIR);
        const volume = pod.volumes?.find((v) => v.name === mounted(dir)?.name);
        const claim = set.manifests.find((x) => x.kind === 'PersistentVolumeClaim' && x.metadata.name === volume?.persistentVolumeClaim?.claimName);
        if (!claim) out.push(`${m.file}: BACKUP_DIR ${dir} is not on a PersistentVolumeClaim of this set`);
      }
    }
    if (!/^USER node$/m.test(read('Dockerfile'))) out.push('the Dockerfile no longer runs as node');
    return out;
  },
};

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const set = loadKubeSet(path.join(ROOT, 'deploy/kubernetes'));

  it('every Procfile process has a Deployment, release a Job, each with the Procfile command', () => {
    expect(checks.commands(set)).to.deep.equal([]);
  });
  it('replicas are what the docs recommend', () => expect(checks.replicas(set)).to.deep.equal([]));
  it('every variable set is a setting of src/config.ts, and each container environment parses', () => {
    expect(checks.settings(set)).to.deep.equal([]);
  });
  it('what production requires is in the ConfigMap or the Secret, and every container reads both', () => {
    expect(requiredInProduction()).to.include.members(['ENCRYPTION_KEY', 'DATABASE_URL', 'REDIS_URL', 'BOT_TOKEN']);
    expect(checks.required(set)).to.deep.equal([]);
  });
  it('web is probed on /healthz and /readyz at WEB_PORT behind a Service; nothing else has an HTTP probe', () => {
    expect(checks.probes(set)).to.deep.equal([]);
  });
  it('every pod outlasts its process shutdown bound (terminationGracePeriodSeconds)', () => expect(checks.gracePeriods(set)).to.deep.equal([]));
  it('kustomization.yaml lists every manifest of the folder, the example Secret excepted', () => expect(checks.kustomization(set)).to.deep.equal([]));
  it('no manifest holds a credential; the example Secret holds placeholders', () => expect(checks.secrets(set)).to.deep.equal([]));
  it('non-root, read-only root filesystem, /tmp writable, backups on a PersistentVolumeClaim', () => expect(checks.storage(set)).to.deep.equal([]));

  it('the probe paths are served by the web app: /healthz 200, /readyz 200 or 503 with the dependencies, others 404', async () => {
    const web = podOf(deployment(set, 'web')!).containers[0]!;
    let redisUp = true;
    const app = createWebApp({
      log: createLogger({ level: 'error', service: 'test', silent: true }),
      redis: { ping: async () => (redisUp ? 'PONG' : Promise.reject(new Error('down'))) } as unknown as Redis,
      knex: { raw: async () => ({ rows: [] }) } as unknown as Knex,
      queues: { all: () => [], prefix: 'test' } as unknown as QueueRegistry,
      audit: {} as AuditRepository,
      board: [{ user: 'operator', password: 'test-password', role: 'operator' }],
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const get = (p: string) => fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${p}`).then((r) => r.status);
    try {
      expect(await get(web.livenessProbe!.httpGet!.path)).to.equal(200);
      expect(await get(web.readinessProbe!.httpGet!.path)).to.equal(200);
      redisUp = false;
      expect(await get(web.readinessProbe!.httpGet!.path)).to.equal(503);
      expect(await get(web.livenessProbe!.httpGet!.path)).to.equal(200);
      expect(await get('/health')).to.equal(404);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('each check fails on a broken copy', () => {
    const container = (s: KubeSet, name: string) => podOf(deployment(s, name)!).containers[0]!;
    const broken: [keyof typeof checks, string, (s: KubeSet) => void][] = [
      ['commands', 'a worker without its queue list', (s) => container(s, 'worker').command!.pop()],
      ['commands', 'no avatars Deployment', (s) => (s.manifests = s.manifests.filter((m) => m !== deployment(s, 'avatars')))],
      ['commands', 'no release Job', (s) => (s.manifests = s.manifests.filter((m) => m.kind !== 'Job'))],
      ['replicas', 'one bot (no standby)', (s) => (deployment(s, 'bot')!.spec!.replicas = 1)],
      ['settings', 'a variable the app never reads', (s) => (configMap(s)!.data!.WEB_PROT = '3000')],
      ['settings', 'a value the app refuses', (s) => (configMap(s)!.data!.BOT_MODE = 'websocket')],
      ['required', 'no ENCRYPTION_KEY in the Secret', (s) => delete s.secretExample.stringData!.ENCRYPTION_KEY],
      ['required', 'no BOARD_PASSWORD in the Secret', (s) => delete s.secretExample.stringData!.BOARD_PASSWORD],
      ['required', 'a pod without the Secret', (s) => (container(s, 'backups').envFrom = container(s, 'backups').envFrom!.slice(0, 1))],
      ['probes', 'readiness on /ready', (s) => (container(s, 'web').readinessProbe!.httpGet!.path = '/ready')],
      ['probes', 'WEB_PORT moved, the port not', (s) => (configMap(s)!.data!.WEB_PORT = '8080')],
      ['probes', 'an HTTP probe on the bot', (s) => (container(s, 'bot').livenessProbe = { httpGet: { path: '/healthz', port: 3000 } })],
      ['gracePeriods', 'a worker killed at 30 s', (s) => (podOf(deployment(s, 'worker')!).terminationGracePeriodSeconds = 30)],
      ['gracePeriods', 'a longer SHUTDOWN_TIMEOUT_MS', (s) => (configMap(s)!.data!.SHUTDOWN_TIMEOUT_MS = '60000')],
      ['kustomization', 'a file not listed', (s) => s.files.push('ingress.yaml')],
      ['kustomization', 'the example Secret listed', (s) => s.resources.push(SECRET_EXAMPLE)],
      ['secrets', 'a token in the ConfigMap', (s) => (configMap(s)!.data!.BOT_TOKEN = FAKE_SECRETS.BOT_TOKEN!)],
      ['secrets', 'a password in a URL', (s) => (s.texts['web.deployment.yaml'] += '\n# redis://:hunter2hunter2@redis:6379\n')],
      ['secrets', 'a literal env value', (s) => container(s, 'web').env = [{ name: 'METRICS_PASSWORD', value: 'x'.repeat(12) }]],
      ['secrets', 'a real value in the example', (s) => (s.secretExample.stringData!.REDIS_URL = 'redis://:hunter2hunter2@redis:6379')],
      ['storage', 'backups without the claim', (s) => (podOf(deployment(s, 'backups')!).volumes = podOf(deployment(s, 'backups')!).volumes!.slice(0, 1))],
      ['storage', 'no /tmp for transcripts', (s) => (container(s, 'transcripts').volumeMounts = [])],
      ['storage', 'LOG_DIR without a volume', (s) => (configMap(s)!.data!.LOG_DIR = '/app/logs')],
    ];
    for (const [check, what, breakIt] of broken) {
      it(`${check}: ${what}`, () => {
        const copy = clone(set);
        breakIt(copy);
        expect(checks[check](copy)).to.not.deep.equal([]);
      });
    }
  });
});
