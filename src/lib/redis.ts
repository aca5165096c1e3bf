import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole =
  /** BullMQ workers block on Redis: commands must wait for a reconnect, never give up. */
  | 'worker'
  /** Producers and the bot: fail fast when Redis is away instead of queueing commands in memory. */
  | 'producer';

/** A Redis connection set up the way its role needs. The caller owns it and must `quit()` it. */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
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
  const redis = new Redis(url, { ...common, ...roleOptions, ...extra });
  // Connection errors surface where it matters (a rejected command, /readyz, a worker's own 'error' event);
  // without a listener ioredis would print every reconnect attempt as an unhandled error.
  redis.on('error', () => undefined);
  return redis;
}

/** Connects (the clients are lazy) and resolves when Redis answers, or rejects after `timeoutMs`. */
export async function connectRedis(redis: Redis, timeoutMs = 5_000): Promise<Redis> {
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
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix:` (a test's or benchmark's own namespace), in SCAN batches. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

type ScriptArg = string | number | Buffer;
type Scripted = Redis & Record<string, (...args: ScriptArg[]) => Promise<unknown>>;

export interface LuaScript {
  (redis: Redis, ...args: ScriptArg[]): Promise<unknown>;
  /**
   * Defines it on a connection; call it where the connection is handed over (a constructor), before any command:
   * an auto-pipeline opened before the definition would not know the command.
   */
  define(redis: Redis): void;
}

/**
 * A Lua script run by its SHA (EVALSHA, loaded again on NOSCRIPT, through ioredis's defineCommand), so the hot
 * scripts are not sent and hashed on every call as `EVAL` would. `numberOfKeys` keys come first; without it (a count
 * that varies, as with batches) the first argument is the number of keys that follow.
 */
export function luaScript(lua: string, numberOfKeys?: number): LuaScript {
  const name = `sy_${createHash('sha1').update(lua).digest('hex').slice(0, 16)}`;
  const define = (redis: Redis) => {
    if (typeof (redis as Scripted)[name] !== 'function') redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
  };
  const run = (redis: Redis, ...args: ScriptArg[]) => {
    define(redis);
    return (redis as Scripted)[name]!(...args);
  };
  return Object.assign(run, { define });
}
