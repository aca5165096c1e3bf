import { expect } from 'chai';
import { isoWeekOf, selectPrunable, type RetentionCandidate } from '../../src/domain/backups/retention';

const at = (iso: string) => new Date(iso);
const b = (id: number, when: string, verdict: RetentionCandidate['verdict'] = 'passed'): RetentionCandidate => ({ id, finishedAt: at(when), verdict });

describe('backup retention', () => {
  it('ISO weeks start on Monday and the year of week 1 holds its first Thursday', () => {
    expect(isoWeekOf(at('2026-11-22T23:00:00Z'))).to.equal('2026-W47'); // a Sunday
    expect(isoWeekOf(at('2026-11-23T00:00:00Z'))).to.equal('2026-W48'); // the Monday after
    expect(isoWeekOf(at('2027-01-01T12:00:00Z'))).to.equal('2026-W53'); // a Friday: still 2026's last week
    expect(isoWeekOf(at('2024-12-30T12:00:00Z'))).to.equal('2025-W01'); // a Monday: already 2025's first week
  });

  it('keeps the newest of each of the last N days and M weeks; prunes the rest of the verified ones', () => {
    const backups = [
      b(1, '2026-10-01T03:00:00Z'), // week 40: too old
      b(2, '2026-11-02T03:00:00Z'), // week 45: kept as a weekly
      b(3, '2026-11-09T03:00:00Z'), // week 46, older
      b(4, '2026-11-13T03:00:00Z'), // week 46, newest: weekly
      b(5, '2026-11-20T03:00:00Z'), // week 47, older than the daily ones
      b(6, '2026-11-21T03:00:00Z'), // daily
      b(7, '2026-11-22T03:00:00Z'), // daily, and week 47's newest
      b(8, '2026-11-22T01:00:00Z'), // same day, older: pruned
    ];
    expect(selectPrunable(backups, { daily: 2, weekly: 3 }).sort()).to.deep.equal([1, 3, 5, 8]);
    // Days that have a backup count, not calendar days (as restic's --keep-daily): the 7th such day reaches back to October.
    expect(selectPrunable(backups, { daily: 6, weekly: 0 }).sort()).to.deep.equal([1, 8]);
    expect(selectPrunable(backups, { daily: 7, weekly: 0 }).sort()).to.deep.equal([8]);
  });

  it('never prunes a backup that failed its drill or was never drilled, and always keeps the newest good one', () => {
    const backups = [
      b(1, '2026-01-01T03:00:00Z'), // the only good one, months old
      b(2, '2026-01-02T03:00:00Z', 'passed'),
      b(3, '2026-11-20T03:00:00Z', 'failed'),
      b(4, '2026-11-21T03:00:00Z', null),
      b(5, '2026-11-22T03:00:00Z', 'failed'),
    ];
    expect(selectPrunable(backups, { daily: 1, weekly: 0 })).to.deep.equal([1]);
    expect(selectPrunable(backups.filter((x) => x.id !== 2), { daily: 1, weekly: 0 })).to.deep.equal([]);
    expect(selectPrunable([], { daily: 1, weekly: 1 })).to.deep.equal([]);
  });
});
