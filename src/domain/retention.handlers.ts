import { QUEUE_NAMES } from '../config';
import type { Handlers, WorkerDeps } from '../jobs/handler.types';
import { pruneOlder } from '../repositories/retention';

const DAY_MS = 86_400_000;

/**
 * The daily retention prune (docs/RELIABILITY.md#retention): what is older than its setting goes; a setting of 0
 * keeps that kind for ever. A user's current avatar is never pruned; closed outbox rows only.
 */
export function retentionHandlers(deps: WorkerDeps): Handlers<'retention.prune'> {
  const { config, knex, queues, outbox, dialogs } = deps;
  return {
    'retention.prune': async (_payload, ctx) => {
      const before = (days: number) => new Date(Date.now() - days * DAY_MS);
      const result: Record<string, number | string> = {};
      const each = async (what: string, days: number, prune: (before: Date) => Promise<number>) => {
        result[what] = days === 0 ? 'kept' : await prune(before(days));
      };
      await each('audit_events', config.AUDIT_KEEP_DAYS, (b) => pruneOlder(knex, 'audit_events', 'at', b));
      await each('transcripts', config.TRANSCRIPTS_KEEP_DAYS, (b) => pruneOlder(knex, 'transcripts', 'created_at', b));
      // Variants go with their set (ON DELETE CASCADE).
      await each('avatar_sets', config.AVATARS_KEEP_DAYS, (b) => pruneOlder(knex, 'avatar_sets', 'created_at', b, { sql: 'NOT current', bindings: [] }));
      await each('outbox', config.OUTBOX_KEEP_DAYS, () => outbox.prune(config.OUTBOX_KEEP_DAYS));
      // A dialog state older than its lifetime in Redis will never be restored: it goes whatever the settings say.
      result.dialog_states = await dialogs.prune();
      // Failed jobs beyond their retry: BullMQ keeps each for 7 days by its options; this follows the setting.
      await each('failed_jobs', config.FAILED_JOBS_KEEP_DAYS, async (b) => {
        let n = 0;
        for (const name of QUEUE_NAMES) n += (await queues.get(name).clean(Date.now() - b.getTime(), 10_000, 'failed')).length;
        return n;
      });
      ctx.log.info('retention prune', result);
      return result;
    },
  };
}
