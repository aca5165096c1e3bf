/** A backup as retention sees it. */
export interface RetentionCandidate {
  id: number;
  /** When its dump finished. */
  finishedAt: Date;
  verdict: 'passed' | 'failed' | null;
}

export interface RetentionPolicy {
  /** The newest verified backup of each of the last `daily` days that have one (UTC days). */
  daily: number;
  /** The newest verified backup of each of the last `weekly` ISO weeks that have one. */
  weekly: number;
}

const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** ISO 8601 week ("2026-W47"): weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeekOf(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * Which backups' files may be deleted: only verified (passed) ones that are neither among the newest of the last
 * `daily` days and `weekly` weeks nor the newest verified backup of all. A backup not yet drilled, or one that failed
 * its drill, is never pruned (it is evidence; an operator deletes it).
 */
export function selectPrunable(backups: RetentionCandidate[], policy: RetentionPolicy): number[] {
  const passed = backups.filter((b) => b.verdict === 'passed').sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || b.id - a.id);
  const keep = new Set<number>();
  if (passed[0]) keep.add(passed[0].id);
  for (const [periodOf, count] of [[dayOf, policy.daily], [isoWeekOf, policy.weekly]] as const) {
    const seen = new Set<string>();
    for (const b of passed) {
      const period = periodOf(b.finishedAt);
      if (seen.has(period)) continue;
      if (seen.size >= count) break;
      seen.add(period);
      keep.add(b.id);
    }
  }
  return passed.filter((b) => !keep.has(b.id)).map((b) => b.id);
}
