import type { z } from 'zod';
import type { JobDefinition } from './define';
// The features' definition files: a layer of their own below this one (zod schemas and options only, no handler,
// nothing of Postgres), checked by .dependency-cruiser.cjs (docs/ARCHITECTURE.md).
import { accountsJobs } from '../domain/accounts/accounts.jobs';
import { avatarsJobs } from '../domain/avatars/avatars.jobs';
import { backupsJobs } from '../domain/backups/backups.jobs';
import { billingJobs } from '../domain/billing/billing.jobs';
import { notificationsJobs } from '../domain/notifications/notifications.jobs';
import { retentionJobs } from '../domain/retention.jobs';
import { transcriptsJobs } from '../domain/transcripts/transcripts.jobs';

/**
 * The job catalogue: the single source of truth for job name → queue, payload schema and options. Each feature
 * declares its jobs beside its handlers (src/domain/<feature>/<feature>.jobs.ts); this registry assembles them, and
 * refuses to load when two features define the same job name (a spread would silently keep the last one). Every
 * job having exactly one handler, on its own queue's worker, is checked by buildHandlerTable (worker-runner.ts).
 * The bot and the workers both import it; docs/JOBS.md describes each entry for operators.
 */
const features = {
  accounts: accountsJobs,
  billing: billingJobs,
  avatars: avatarsJobs,
  transcripts: transcriptsJobs,
  backups: backupsJobs,
  notifications: notificationsJobs,
  retention: retentionJobs,
} as const;

/** Job names defined by more than one feature, each with the features that define it. */
export function duplicateJobNames(parts: Record<string, Record<string, JobDefinition>>): string[] {
  const owners = new Map<string, string[]>();
  for (const [feature, jobs] of Object.entries(parts)) for (const name of Object.keys(jobs)) owners.set(name, [...(owners.get(name) ?? []), feature]);
  return [...owners].filter(([, by]) => by.length > 1).map(([name, by]) => `"${name}" (${by.join(', ')})`);
}

const duplicates = duplicateJobNames(features);
if (duplicates.length) throw new Error(`job names defined twice: ${duplicates.join('; ')}`);

export const catalogue = {
  ...features.accounts,
  ...features.billing,
  ...features.avatars,
  ...features.transcripts,
  ...features.backups,
  ...features.notifications,
  ...features.retention,
} as const;

export type Catalogue = typeof catalogue;
export type JobName = keyof Catalogue;
export type QueueOf<N extends JobName> = Catalogue[N]['queue'];
/** What a producer passes (defaults may be omitted). */
export type PayloadInput<N extends JobName> = z.input<Catalogue[N]['payload']>;
/** What a handler receives (defaults filled in). */
export type Payload<N extends JobName> = z.output<Catalogue[N]['payload']>;
export type JobsOfQueue<Q extends string> = { [N in JobName]: Catalogue[N]['queue'] extends Q ? N : never }[JobName];

export const JOB_NAMES = Object.keys(catalogue) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(catalogue, name);
}
