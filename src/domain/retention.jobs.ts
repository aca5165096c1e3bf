import { z } from 'zod';
import { defineJob } from '../jobs/define';

/**
 * Retention's job (its handler: src/domain/retention.handlers.ts): it prunes every feature's old rows, so it belongs
 * to none of them. Assembled into the catalogue by src/jobs/catalogue.ts; the bot loads this file: no Postgres here.
 */
export const retentionJobs = {
  /** Scheduled daily (04:40 UTC): what is older than its retention setting is deleted (docs/RELIABILITY.md#retention). */
  'retention.prune': defineJob({
    queue: 'billing',
    description: 'scheduled daily: delete audit events, transcripts, avatar sets, closed outbox rows and failed jobs older than their *_KEEP_DAYS',
    options: { attempts: 3 },
    payload: z.object({}),
  }),
} as const;
