import { hostname } from 'node:os';
import type { RedisClient } from '../lib/redis';
import { metricsKey } from './shared-metrics';

/** One process's CPU and memory as it publishes them (`startProcessStats`). */
export interface ProcessSample {
  cpu: number;
  rss: number;
  heap: number;
  at: number;
}

/** A sample older than this is a process that stopped (or lost Redis): left out of the scrape. */
const SAMPLE_STALE_MS = 60_000;
/** …and dropped from the hash after this, so replicas that come and go do not pile up. */
const SAMPLE_FORGET_MS = 3_600_000;

function sampleOfThisProcess(): ProcessSample {
  const { user, system } = process.cpuUsage();
  const mem = process.memoryUsage();
  return { cpu: (user + system) / 1e6, rss: mem.rss, heap: mem.heapUsed, at: Date.now() };
}

const processStatsKey = (redis: RedisClient, prefix: string) => metricsKey(redis, prefix, 'process');
const thisReplica = () => `${hostname()}:${process.pid}`;

/**
 * Publishes this process's CPU seconds and memory every `everyMs` to Redis, where the web process reads every
 * replica's for `/metrics` (switchyard_process_*{process, replica}): one scrape covers them all, as with the
 * shared counters. Call it once per process (`bot`, `worker`, …); the returned function stops it.
 */
export function startProcessStats(redis: RedisClient, prefix: string, processName: string, everyMs = 5_000): () => Promise<void> {
  const field = `${processName}|${thisReplica()}`;
  const publish = () => redis.hset(processStatsKey(redis, prefix), field, JSON.stringify(sampleOfThisProcess())).catch(() => undefined);
  void publish();
  const timer = setInterval(() => void publish(), everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis.hdel(processStatsKey(redis, prefix), field).catch(() => undefined);
  };
}

/** Every publishing process's newest sample, and the web process's own (read live); stale ones left out. */
export async function processSamples(redis: RedisClient, prefix: string): Promise<{ labels: { process: string; replica: string }; sample: ProcessSample }[]> {
  const now = Date.now();
  const hash = await redis.hgetall(processStatsKey(redis, prefix)).catch(() => ({}) as Record<string, string>);
  const rows = [{ labels: { process: 'web', replica: thisReplica() }, sample: sampleOfThisProcess() }];
  const forget: string[] = [];
  for (const [field, json] of Object.entries(hash)) {
    const [processName = '', replica = ''] = field.split('|');
    let sample: ProcessSample | undefined;
    try {
      sample = JSON.parse(json) as ProcessSample;
    } catch {
      sample = undefined;
    }
    if (!sample || now - sample.at > SAMPLE_FORGET_MS) forget.push(field);
    else if (now - sample.at <= SAMPLE_STALE_MS) rows.push({ labels: { process: processName, replica }, sample });
  }
  if (forget.length) await redis.hdel(processStatsKey(redis, prefix), ...forget).catch(() => undefined);
  return rows;
}
