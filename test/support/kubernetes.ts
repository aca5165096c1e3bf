import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError, configSchema, parseConfig } from '../../src/config';

/** The parts of Kubernetes objects the checks read. */
export interface Probe {
  httpGet?: { path: string; port: number | string };
  exec?: unknown;
  tcpSocket?: unknown;
}
export interface Container {
  name: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
  volumes?: { name: string; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string } }[];
}
export interface Manifest {
  file: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: Record<string, string> & { matchLabels?: Record<string, string> };
    ports?: { port: number; targetPort: number | string }[];
    template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
  };
}
/** The folder as an operator applies it: what kustomization.yaml lists, and what is beside it. */
export interface KubeSet {
  /** YAML files in the folder other than kustomization.yaml. */
  files: string[];
  resources: string[];
  manifests: Manifest[];
  secretExample: Manifest;
  /** Raw text of each listed resource, for what parsing would hide (comments, anchors). */
  texts: Record<string, string>;
}

export const KUSTOMIZATION = 'kustomization.yaml';
export const SECRET_EXAMPLE = 'secret.example.yaml';

function parseFile(dir: string, file: string): Manifest[] {
  return parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return { ...(d.toJS() as Omit<Manifest, 'file'>), file };
  });
}

export function loadKubeSet(dir: string): KubeSet {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION).sort();
  const { resources } = parseFile(dir, KUSTOMIZATION)[0] as unknown as { resources: string[] };
  const listed = resources.filter((f) => files.includes(f));
  return {
    files,
    resources,
    manifests: listed.flatMap((f) => parseFile(dir, f)),
    secretExample: parseFile(dir, SECRET_EXAMPLE)[0]!,
    texts: Object.fromEntries(listed.map((f) => [f, readFileSync(path.join(dir, f), 'utf8')])),
  };
}

export const workloads = (set: KubeSet) => set.manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'Job');
export const deployment = (set: KubeSet, name: string) => set.manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === `switchyard-${name}`);
export const podOf = (m: Manifest): PodSpec => m.spec!.template!.spec;
export const configMap = (set: KubeSet) => set.manifests.find((m) => m.kind === 'ConfigMap');

/** A setting that holds a credential, or a URL that carries one: it belongs in the Secret. */
export const isSecretSetting = (key: string) => /TOKEN|SECRET|PASSWORD|_KEY$|_USER$|^DATABASE_URL$|^REDIS_URL$/.test(key);

/** Test values for the Secret's keys, valid for the schema (none is a real credential). */
export const FAKE_SECRETS: Record<string, string> = {
  BOT_TOKEN: '123456:TEST-token-not-real-0123456789abcdef',
  DATABASE_URL: 'postgres://switchyard:test@postgres:5432/switchyard',
  REDIS_URL: 'redis://:test@redis:6379',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  BOARD_USER: 'operator',
  BOARD_PASSWORD: 'test-password',
};

/** The environment one container gets: its ConfigMap, the Secret (test values), then its own `env`. */
export function envOf(set: KubeSet, container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name === configMap(set)?.metadata.name) Object.assign(env, configMap(set)!.data);
    if (from.secretRef?.name === set.secretExample.metadata.name) {
      for (const key of Object.keys(set.secretExample.stringData ?? {})) env[key] = FAKE_SECRETS[key] ?? 'unset-in-test';
    }
  }
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  return env;
}

/**
 * What production needs set, found rather than listed where the code can tell: the variables parseConfig refuses to
 * do without under NODE_ENV=production (found one at a time), and those whose default points at this machine
 * (127.0.0.1 is the pod itself). Plus the start-up refusals of the processes: BOT_TOKEN (bot-runtime.ts,
 * worker-process.ts) and the Bull Board login (web/main.ts).
 */
export function requiredInProduction(): string[] {
  const env: Record<string, string> = { NODE_ENV: 'production' };
  const refused: string[] = [];
  for (;;) {
    try {
      parseConfig(env);
      break;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const key = /configuration: ([A-Z0-9_]+)/.exec(err.message)![1]!;
      if (refused.includes(key) || !FAKE_SECRETS[key]) throw new Error(`production refuses ${key} and the test has no value for it`, { cause: err });
      refused.push(key);
      env[key] = FAKE_SECRETS[key];
    }
  }
  // The schema's own defaults: a setting derived from another after parsing (DATABASE_DIRECT_URL from DATABASE_URL)
  // follows that one and needs nothing of its own.
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const local = Object.keys(configSchema.shape).filter((k) => typeof defaults[k] === 'string' && (defaults[k] as string).includes('127.0.0.1'));
  return [...new Set([...refused, ...local, 'BOT_TOKEN', 'BOARD_USER', 'BOARD_PASSWORD'])].sort();
}
