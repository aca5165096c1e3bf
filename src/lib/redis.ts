import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** One Redis or a Redis Cluster (REDIS_CLUSTER_NODES): every part of Switchyard takes either. */
export type RedisClient = Redis | Cluster;

export type RedisRole =
  /** BullMQ workers block on Redis: commands must wait for a reconnect, never give up. */
  | 'worker'
  /** Producers and the bot: fail fast when Redis is away instead of queueing commands in memory. */
  | 'producer';

/** Where Redis is: the settings of src/config.ts that say so (a URL is one Redis with its credentials). */
export type RedisTarget = string | { REDIS_URL: string; REDIS_CLUSTER_NODES?: string[] | undefined; REDIS_TLS_CA_FILE?: string | undefined };

/** Credentials and TLS of a redis:// or rediss:// URL, as ioredis options. */
function urlOptions(url: URL, caFile: string | undefined): RedisOptions {
  const options: RedisOptions = {};
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') options.tls = caFile ? { ca: readFileSync(caFile) } : {};
  return options;
}

/**
 * A Redis connection set up the way its role needs: one Redis (REDIS_URL) or, with REDIS_CLUSTER_NODES, an ioredis
 * Cluster with the same role options on every node. The caller owns it and must `quit()` it.
 */
export function createRedis(target: RedisTarget, role: RedisRole, extra: RedisOptions = {}): RedisClient {
  const settings = typeof target === 'string' ? { REDIS_URL: target } : target;
  const common: RedisOptions = {
    lazyConnect: true,
    connectionName: `switchyard:${role}`,
    // Back off up to 2 s between reconnects; never stop trying (processes outlive Redis restarts).
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  };
  const roleOptions: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true };
  const options = { ...common, ...roleOptions, ...extra };
  const nodes = settings.REDIS_CLUSTER_NODES ?? [];
  const redis = nodes.length ? createCluster(nodes, settings, options) : new Redis(settings.REDIS_URL, { ...options, ...(settings.REDIS_TLS_CA_FILE ? urlOptions(new URL(settings.REDIS_URL), settings.REDIS_TLS_CA_FILE) : {}) });
  // Connection errors surface where it matters (a rejected command, /readyz, a worker's own 'error' event);
  // without a listener ioredis would print every reconnect attempt as an unhandled error.
  redis.on('error', () => undefined);
  return redis;
}

function createCluster(nodes: string[], settings: Exclude<RedisTarget, string>, options: RedisOptions): Cluster {
  const shared = urlOptions(new URL(settings.REDIS_URL), settings.REDIS_TLS_CA_FILE);
  const startup = nodes.map((entry) => {
    const url = new URL(/^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`);
    if (/^rediss?:\/\//.test(entry) && (url.password || url.protocol === 'rediss:')) Object.assign(shared, urlOptions(url, settings.REDIS_TLS_CA_FILE));
    return { host: url.hostname, port: Number(url.port) };
  });
  const { retryStrategy, enableOfflineQueue, lazyConnect, enableAutoPipelining, enableReadyCheck, ...node } = options;
  const clusterOptions: ClusterOptions = {
    lazyConnect,
    enableOfflineQueue,
    enableReadyCheck,
    enableAutoPipelining,
    // The first connection is retried like a single Redis's; a node's reconnects follow the slot refresh.
    clusterRetryStrategy: retryStrategy ? (times: number) => retryStrategy(times) : undefined,
    redisOptions: { ...node, ...shared },
    // This client's own list (luaScript adds to it), not the shared default array.
    autoPipeliningIgnoredCommands: [],
  };
  return new Cluster(startup, clusterOptions);
}

/**
 * A hash tag on Redis Cluster: `{part}`, so every key carrying it lands in one slot (a multi-key script, MULTI or
 * pipeline needs that). On one Redis, `part` unchanged: the key layout of a single Redis stays as it always was.
 */
export function slotTag(redis: RedisClient, part: string): string {
  return redis.isCluster ? `{${part}}` : part;
}

/**
 * The key prefix of one BullMQ queue: QUEUE_PREFIX on one Redis; on a cluster `{<prefix>:<queue>}`, so each queue's
 * keys share one slot (BullMQ's scripts need that) and different queues spread over the shards.
 */
export function queuePrefix(redis: RedisClient, prefix: string, queue: string): string {
  return redis.isCluster ? `{${prefix}:${queue}}` : prefix;
}

/**
 * Splits a batch by hash slot on a cluster (one group on one Redis), so that each multi-key script call touches one
 * slot; `keyOf` names an item's key that carries its tag. Groups keep the items' order.
 */
export function groupBySlot<T>(redis: RedisClient, items: readonly T[], keyOf: (item: T) => string): T[][] {
  if (!redis.isCluster) return [items.slice()];
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const slot = calculateSlot(keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(item);
    else groups.set(slot, [item]);
  }
  return [...groups.values()];
}

/** The hash slot of a key (what Redis Cluster computes). */
export const slotOf = (key: string): number => calculateSlot(key);

/** The masters of a cluster, or the one Redis: for commands that are per server (SCAN, INFO, FLUSH). */
export function servers(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Connects (the clients are lazy) and resolves when Redis answers, or rejects after `timeoutMs`. */
export async function connectRedis<R extends RedisClient>(redis: R, timeoutMs = 5_000): Promise<R> {
  if (redis.status === 'ready') return redis;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    if (redis.status === 'wait') await Promise.race([redis.connect(), timeout]);
    else await Promise.race([new Promise((resolve) => redis.once('ready', resolve)), timeout]);
    return redis;
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a connection politely, or drops it if Redis is unreachable. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  try {
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix:` (a test's or benchmark's own namespace), in SCAN batches, on every master. */
export async function deleteKeysWithPrefix(redis: RedisClient, prefix: string): Promise<void> {
  // On a cluster the tagged keys begin with the tag: `{prefix:billing}:…`.
  for (const [server, pattern] of servers(redis).flatMap((s) => (redis.isCluster ? [[s, `${prefix}:*`], [s, `{${prefix}:*`]] : [[s, `${prefix}:*`]]) as [Redis, string][])) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      // One DEL per key on a cluster: the keys of one SCAN batch live in many slots.
      if (keys.length) await (redis.isCluster ? Promise.all(keys.map((k) => server.del(k))) : server.del(...keys));
    } while (cursor !== '0');
  }
}

type ScriptArg = string | number | Buffer;
type Scripted = RedisClient & Record<string, (...args: ScriptArg[]) => Promise<unknown>>;

export interface LuaScript {
  (redis: RedisClient, ...args: ScriptArg[]): Promise<unknown>;
  /**
   * Defines it on a connection; call it where the connection is handed over (a constructor), before any command:
   * an auto-pipeline opened before the definition would not know the command.
   */
  define(redis: RedisClient): void;
}

/**
 * A Lua script run by its SHA (EVALSHA, loaded again on NOSCRIPT, through ioredis's defineCommand), so the hot
 * scripts are not sent and hashed on every call as `EVAL` would. `numberOfKeys` keys come first; without it (a count
 * that varies, as with batches) the first argument is the number of keys that follow.
 */
export function luaScript(lua: string, numberOfKeys?: number): LuaScript {
  const name = `sy_${createHash('sha1').update(lua).digest('hex').slice(0, 16)}`;
  const define = (redis: RedisClient) => {
    if (typeof (redis as Scripted)[name] === 'function') return;
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
    // A cluster's auto-pipeline routes a command by its first argument, which here is the key count, not a key:
    // such a script goes on its own (its callers batch anyway). ioredis reads the list at each call.
    if (numberOfKeys === undefined && redis instanceof Cluster) redis.options.autoPipeliningIgnoredCommands?.push(name);
  };
  const run = (redis: RedisClient, ...args: ScriptArg[]) => {
    define(redis);
    return (redis as Scripted)[name]!(...args);
  };
  return Object.assign(run, { define });
}
