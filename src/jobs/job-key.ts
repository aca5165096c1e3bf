import type { Job } from 'bullmq';
import type { Config } from '../config';

/**
 * The key of one job's effects in Postgres: its send receipts, its ledger posting, its audit event. Scoped by the
 * bot, because update ids (`update-<update_id>`, `reply-<update_id>`) are unique per bot only: a second bot, or a
 * new token, on the same database must not find the first one's keys and silently skip its work. Ids derived from
 * domain ids are stable across re-adds; BullMQ's own numeric ids restart if Redis is ever emptied, so those are
 * qualified by the job's creation time (which its retries keep).
 */
export function jobKey(config: Pick<Config, 'BOT_TOKEN'>, job: Pick<Job, 'id' | 'timestamp'>): string {
  const botId = (config.BOT_TOKEN ?? '0:').split(':')[0]!;
  return `${botId}/${/^\d+$/.test(job.id ?? '') ? `${job.id}@${job.timestamp}` : job.id!}`;
}
