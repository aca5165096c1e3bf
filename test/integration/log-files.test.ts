import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import { createLogger } from '../../src/lib/logger';
import { waitFor } from '../support/wait';

const DAY = 24 * 3600 * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ymd = (t: number) => {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/**
 * LOG_DIR as an operator finds it (docker-compose sets it for every app process): one JSON file per process and
 * day, yesterday's gzipped, none older than the retention (14 days). The rotation reads the clock through
 * `Date.now` (moment and the rotator's audit), so the test moves that clock a day at a time; timers stay real.
 */
describe('log files on disk (LOG_DIR)', function () {
  this.timeout(30_000);
  const realNow = Date.now;
  let dir: string;
  let now: number;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-logs-'));
    now = new Date(2024, 0, 1, 12, 0, 0).getTime();
    Date.now = () => now;
  });
  afterEach(() => {
    Date.now = realNow;
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes JSON lines per day and host, gzips the days before, and keeps LOG_RETENTION_DAYS (14) days', async () => {
    const log = createLogger({ service: 'worker', dir, retentionDays: 14, silent: true });
    const days = 17;
    for (let day = 0; day < days; day++) {
      for (let n = 0; n < 3; n++) log.info('job completed', { queue: 'billing', job_id: `${day}-${n}`, password: 'hunter2' });
      // Let the lines reach the file before the clock moves on (winston hands them to the transport asynchronously).
      await sleep(50);
      if (day < days - 1) now += DAY;
    }
    const today = ymd(now);
    const expected = [`worker-${hostname()}-${today}.log`];
    for (let day = 3; day < days - 1; day++) expected.push(`worker-${hostname()}-${ymd(new Date(2024, 0, 1, 12).getTime() + day * DAY)}.log.gz`);
    // Gzipping runs in the background after each change of day.
    const files = () => readdirSync(dir).filter((f) => !f.startsWith('.')).sort();
    // On a timeout, show the difference rather than the wait's message.
    await waitFor(() => files().join() === [...expected].sort().join(), 'the rotated files', 10_000).catch(() => expect(files()).to.deep.equal([...expected].sort()));
    log.end();

    // The day that just began: plain JSON lines, one per event, with the process name and no secret.
    const current = readFileSync(path.join(dir, `worker-${hostname()}-${today}.log`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(current).to.have.length(3);
    for (const line of current) {
      expect(line).to.include({ level: 'info', message: 'job completed', service: 'worker', queue: 'billing', password: '<redacted>' });
      expect(line.timestamp).to.be.a('string');
    }
    // An older day, gzipped whole: every line that was written that day.
    const fourth = gunzipSync(readFileSync(path.join(dir, expected[1]!))).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { job_id: string });
    expect(fourth.map((l) => l.job_id)).to.deep.equal(['3-0', '3-1', '3-2']);
    // Days 1 to 3 are past the 14 days: gone, plain and gzipped. The rotator's audit file remembers what it keeps.
    expect(readdirSync(dir).join()).not.to.match(/2024-01-0[123]/);
    expect(readdirSync(dir).filter((f) => f.endsWith('-audit.json'))).to.have.length(1);
  });
});
