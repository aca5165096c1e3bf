import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/knex';
import { QueueRegistry } from '../../src/jobs/queues';
import { deleteKeysWithPrefix } from '../../src/lib/redis';
import { createMetricsRegistry, parseRedisInfo } from '../../src/observability/metrics.registry';
import { startProcessStats } from '../../src/observability/process-stats';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniquePrefix } from '../support/env';

/** The values a series has in one scrape, by its label text (`{process="bot",…}`), for one metric name. */
function series(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) out.set(m[1] ?? '', Number(m[2]));
  }
  return out;
}

/** What the alerts on Redis memory, Redis latency and each process's CPU and memory read (config/prometheus/alerts.yml). */
describe('/metrics: Redis memory and latency, every process’s CPU and memory', () => {
  const prefix = uniquePrefix();
  let redis: Redis;
  let knex: Knex;
  let queues: QueueRegistry;

  before(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    knex = createKnex(TEST_DATABASE_URL, { max: 2 });
    queues = new QueueRegistry(redis, prefix);
  });
  after(async () => {
    await queues.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    await knex.destroy();
  });

  it('reads used_memory and maxmemory out of INFO memory', () => {
    const info = parseRedisInfo('# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n');
    expect(info).to.deep.equal({ used_memory: 1048576, maxmemory: 0 });
  });

  it('a scrape has Redis’s memory as INFO reports it and the round trip of a PING', async () => {
    const text = await createMetricsRegistry(redis, prefix, queues, knex).metrics();
    const info = parseRedisInfo(await redis.info('memory'));
    const used = series(text, 'switchyard_redis_memory_used_bytes').get('')!;
    // Another client may write between the two reads; the size is the same order.
    expect(used).to.be.greaterThan(info.used_memory! / 2).and.lessThan(info.used_memory! * 2);
    expect(series(text, 'switchyard_redis_maxmemory_bytes').get('')).to.equal(info.maxmemory);
    const ping = series(text, 'switchyard_redis_ping_seconds').get('')!;
    expect(ping).to.be.greaterThan(0).and.lessThan(1);
  });

  it('every process that publishes its stats is in the scrape with its name and replica, until it stops', async () => {
    const stopBot = startProcessStats(redis, prefix, 'bot', 100);
    const stopAvatars = startProcessStats(redis, prefix, 'avatars', 100);
    await new Promise((r) => setTimeout(r, 150));
    const registry = createMetricsRegistry(redis, prefix, queues, knex);
    let text = await registry.metrics();
    const cpu = series(text, 'switchyard_process_cpu_seconds_total');
    const rss = series(text, 'switchyard_process_resident_memory_bytes');
    const processes = [...rss.keys()].map((labels) => /process="([^"]+)"/.exec(labels)![1]).sort();
    // Both publishers run in this test's process, so they share a replica name; in compose each is a container.
    expect(processes).to.deep.equal(['avatars', 'bot', 'web']);
    for (const [labels, bytes] of rss) {
      expect(labels).to.match(/replica="[^"]+:\d+"/);
      expect(bytes, labels).to.be.greaterThan(10 * 1024 * 1024);
      expect(cpu.get(labels), labels).to.be.greaterThan(0);
    }
    expect(text).to.include('# TYPE switchyard_process_cpu_seconds_total counter');
    // The web process's prom-client defaults carry its name too.
    expect(text).to.match(/^switchyard_web_process_resident_memory_bytes\{process="web"\} \d+/m);

    await stopBot();
    text = await registry.metrics();
    const after = [...series(text, 'switchyard_process_resident_memory_bytes').keys()].map((l) => /process="([^"]+)"/.exec(l)![1]).sort();
    expect(after).to.deep.equal(['avatars', 'web']);
    await stopAvatars();
  });

  it('a process that stopped publishing without saying so (killed) leaves the scrape after a minute', async () => {
    await redis.hset(`${prefix}:metrics:process`, 'worker|gone:1', JSON.stringify({ cpu: 1, rss: 1, heap: 1, at: Date.now() - 61_000 }));
    await redis.hset(`${prefix}:metrics:process`, 'worker|long-gone:2', JSON.stringify({ cpu: 1, rss: 1, heap: 1, at: Date.now() - 3_700_000 }));
    const text = await createMetricsRegistry(redis, prefix, queues, knex).metrics();
    expect(text).not.to.include('gone:');
    // Entries an hour old are dropped from Redis as well, so replicas that come and go do not pile up.
    expect(await redis.hkeys(`${prefix}:metrics:process`)).to.deep.equal(['worker|gone:1']);
  });
});
