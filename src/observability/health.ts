import type { RedisClient } from '../lib/redis';
import type { Knex } from 'knex';

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

export interface DependencyStatus {
  redis: string;
  postgres: string;
}

/** "ok" or why not, for Redis (PING) and Postgres (select 1), each bounded by `ms`. Used by /readyz and /metrics. */
export async function checkDependencies(redis: RedisClient, knex: Knex, ms: number): Promise<DependencyStatus> {
  const [r, p] = await Promise.allSettled([within(redis.ping(), ms, 'Redis'), within(knex.raw('select 1'), ms, 'Postgres')]);
  const text = (s: PromiseSettledResult<unknown>) => (s.status === 'fulfilled' ? 'ok' : (s.reason as Error).message);
  return { redis: text(r), postgres: text(p) };
}
