import type { Queue } from 'bullmq';
import { servers, type RedisClient } from '../lib/redis';
import { Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Knex } from 'knex';
import { checkDependencies } from './health';
import { COUNTERS, HISTOGRAMS, metricsKey } from './shared-metrics';
import { processSamples, type ProcessSample } from './process-stats';

type Values = { value: number; labels: Record<string, string | number>; metricName?: string }[];

function labelsOf(field: string, names: readonly string[]): Record<string, string> {
  const parts = field.split('|');
  return Object.fromEntries(names.map((n, i) => [n, parts[i] ?? '']));
}

/** A metric whose values come from the shared Redis hashes at scrape time. */
function sharedMetric(redis: RedisClient, key: string, name: string, help: string, type: 'counter' | 'histogram', read: (hash: Record<string, string>) => Values): Metric {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    // Redis away: report nothing for this metric rather than failing the whole scrape (dependency_up says why).
    get: async () => ({ name, help, type, aggregator: 'sum', values: read(await redis.hgetall(key).catch(() => ({}))) }),
  } as unknown as Metric;
}

/** The queues a scrape reads: the job layer's QueueRegistry (src/jobs/queues.ts) is one. */
export interface QueueSource {
  all(): Queue[];
}

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

/**
 * The web process's `/metrics`: its own process metrics, every replica's shared counters and histograms, and
 * the queues as Redis sees them right now (depth by state, age of the oldest waiting job).
 */
export function createMetricsRegistry(redis: RedisClient, prefix: string, queues: QueueSource, knex: Knex): Registry {
  const registry = new Registry();
  // The web process's own prom-client defaults; every process (web included) is also in switchyard_process_*.
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_web_', labels: { process: 'web' } });
  const key = (m: string) => metricsKey(redis, prefix, m);

  for (const [name, def] of Object.entries(COUNTERS)) {
    registry.registerMetric(
      sharedMetric(redis, key(name), name, def.help, 'counter', (hash) =>
        Object.entries(hash).map(([field, v]) => ({ value: Number(v), labels: labelsOf(field, def.labels) })),
      ),
    );
  }
  for (const [name, def] of Object.entries(HISTOGRAMS)) {
    registry.registerMetric(
      sharedMetric(redis, key(name), name, def.help, 'histogram', (hash) => {
        // Fields: "<labels>|le=<bucket>" (non-cumulative counts) and "<labels>|sum".
        const series = new Map<string, { counts: Map<string, number>; sum: number }>();
        for (const [field, v] of Object.entries(hash)) {
          const cut = field.lastIndexOf('|');
          const base = field.slice(0, cut);
          const tail = field.slice(cut + 1);
          const s = series.get(base) ?? { counts: new Map(), sum: 0 };
          if (tail === 'sum') s.sum = Number(v);
          else s.counts.set(tail.slice(3), Number(v));
          series.set(base, s);
        }
        const values: Values = [];
        for (const [base, s] of series) {
          const labels = labelsOf(base, def.labels);
          let cumulative = 0;
          for (const b of def.buckets) {
            cumulative += s.counts.get(String(b)) ?? 0;
            values.push({ metricName: `${name}_bucket`, value: cumulative, labels: { ...labels, le: b } });
          }
          cumulative += s.counts.get('+Inf') ?? 0;
          values.push({ metricName: `${name}_bucket`, value: cumulative, labels: { ...labels, le: '+Inf' } });
          values.push({ metricName: `${name}_sum`, value: s.sum, labels });
          values.push({ metricName: `${name}_count`, value: cumulative, labels });
        }
        return values;
      }),
    );
  }

  const all = () => queues.all() as Queue[];
  new Gauge({
    name: 'switchyard_queue_jobs',
    help: 'Jobs in each queue by state, as Redis holds them now',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of all()) {
        const counts = await q.getJobCounts(...STATES).catch(() => undefined);
        if (counts) for (const state of STATES) this.set({ queue: q.name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'switchyard_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in each queue (0 when none waits)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of all()) {
        const jobs = await q.getJobs(['wait'], 0, 0, true).catch(() => undefined);
        if (jobs) this.set({ queue: q.name }, jobs[0] ? Math.max(0, (Date.now() - jobs[0].timestamp) / 1000) : 0);
      }
    },
  });
  new Gauge({
    name: 'switchyard_dependency_up',
    help: '1 when the dependency answers the web process within 1 s, else 0',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      const status = await checkDependencies(redis, knex, 1_000);
      this.set({ dependency: 'redis' }, status.redis === 'ok' ? 1 : 0);
      this.set({ dependency: 'postgres' }, status.postgres === 'ok' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchyard_backup_last_success_timestamp_seconds',
    help: 'When the newest kept backup that passed its restore drill was taken (Unix seconds; 0: none yet)',
    registers: [registry],
    async collect() {
      // Postgres away or not migrated yet: no value this scrape (dependency_up says why).
      const row = await knex('backups').where({ status: 'done', verdict: 'passed' }).whereNull('pruned_at').max({ at: 'finished_at' }).first().catch(() => undefined);
      if (row) this.set(row.at ? new Date(row.at as string | Date).getTime() / 1000 : 0);
    },
  });
  new Gauge({
    name: 'switchyard_backup_newest_drill_failed',
    help: '1 when the most recently drilled backup failed its restore drill, else 0',
    registers: [registry],
    async collect() {
      const row = await knex('backups').whereNotNull('verified_at').orderBy('verified_at', 'desc').first('verdict').catch(() => null);
      if (row !== null) this.set(row?.verdict === 'failed' ? 1 : 0);
    },
  });
  registerRedisGauges(registry, redis);
  registerProcessGauges(registry, redis, prefix);
  return registry;
}

/** `INFO memory` fields, as numbers (absent fields are left out). */
export function parseRedisInfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split(/\r?\n/)) {
    const cut = line.indexOf(':');
    if (cut <= 0 || line.startsWith('#')) continue;
    const value = Number(line.slice(cut + 1));
    if (Number.isFinite(value)) out[line.slice(0, cut)] = value;
  }
  return out;
}

/**
 * Redis as the platform sees it: memory (used, the limit) and the round trip of one PING per scrape. Redis away:
 * no value this scrape (switchyard_dependency_up and the exporter's redis_up say why).
 */
function registerRedisGauges(registry: Registry, redis: RedisClient): void {
  // One INFO per server per scrape for both memory gauges: prom-client collects them together, so they share the
  // calls in flight. A cluster reports each master (label `node`, host:port): one full shard is what fails first.
  type Sample = { labels: Record<string, string>; info?: Record<string, number> };
  let memoryInfo: Promise<Sample[]> | undefined;
  const memory = () =>
    (memoryInfo ??= Promise.all(
      servers(redis).map((server): Promise<Sample> => {
        const labels: Record<string, string> = redis.isCluster ? { node: `${server.options.host}:${server.options.port}` } : {};
        return server.info('memory').then((text) => ({ labels, info: parseRedisInfo(text) }), () => ({ labels }));
      }),
    ).finally(() => (memoryInfo = undefined)));
  const gauge = (name: string, help: string, field: 'used_memory' | 'maxmemory') =>
    new Gauge({
      name,
      help,
      labelNames: redis.isCluster ? ['node'] : [],
      registers: [registry],
      async collect() {
        this.reset();
        for (const { labels, info } of await memory()) if (info?.[field] !== undefined) this.set(labels, info[field]);
      },
    });
  gauge('switchyard_redis_memory_used_bytes', 'Memory Redis has allocated for its data (INFO memory used_memory)', 'used_memory');
  gauge('switchyard_redis_maxmemory_bytes', 'The memory limit of Redis (INFO memory maxmemory; 0: no limit, the machine is the limit)', 'maxmemory');
  new Gauge({
    name: 'switchyard_redis_ping_seconds',
    help: 'Round trip of one PING from the web process to Redis, timed at scrape time',
    registers: [registry],
    async collect() {
      this.reset();
      const started = process.hrtime.bigint();
      const ok = await Promise.race([redis.ping().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(r, 1_000, false).unref())]);
      if (ok) this.set(Number(process.hrtime.bigint() - started) / 1e9);
    },
  });
}

/** switchyard_process_*{process, replica}: CPU and memory of every process that publishes them. */
function registerProcessGauges(registry: Registry, redis: RedisClient, prefix: string): void {
  const metric = (name: string, help: string, type: 'counter' | 'gauge', pick: (s: ProcessSample) => number): void => {
    const get = async () => ({
      name, help, type, aggregator: 'sum',
      values: (await processSamples(redis, prefix)).map(({ labels, sample }) => ({ labels, value: pick(sample) })),
    });
    registry.registerMetric({ name, help, type, aggregator: 'sum', get } as unknown as Metric);
  };
  metric('switchyard_process_cpu_seconds_total', 'CPU time (user + system) each process has used since it started', 'counter', (s) => s.cpu);
  metric('switchyard_process_resident_memory_bytes', 'Resident memory of each process', 'gauge', (s) => s.rss);
  metric('switchyard_process_heap_used_bytes', 'V8 heap in use in each process', 'gauge', (s) => s.heap);
}
