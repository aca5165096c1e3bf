import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { COUNTERS, HISTOGRAMS } from '../../src/observability/shared-metrics';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PROM = path.join(ROOT, 'config', 'prometheus');
const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: PROM, encoding: 'utf8' });

/** Metric names the platform exports: what dashboards and alerts may use. */
const EXPORTED = [
  ...Object.keys(COUNTERS),
  ...Object.keys(HISTOGRAMS).flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
  'switchyard_queue_jobs',
  'switchyard_queue_oldest_waiting_seconds',
  'switchyard_dependency_up',
  // Read from the backups table at scrape time.
  'switchyard_backup_last_success_timestamp_seconds',
  'switchyard_backup_newest_drill_failed',
];

describe('monitoring configuration (config/)', () => {
  it('Prometheus accepts the scrape config and the alert rules (promtool check config)', () => {
    const r = promtool('check', 'config', 'prometheus.yml');
    expect(r.error, 'promtool missing: apt-get install prometheus (.ci/run does)').to.equal(undefined);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
  });

  it('each alert fires on its situation and stays quiet otherwise (promtool test rules)', () => {
    const r = promtool('test', 'rules', 'alerts.test.yml');
    expect(r.status, r.stdout + r.stderr).to.equal(0);
  });

  it('alerts cover backlog, failure rate, 429 storms, Redis/Postgres down, backup age and failed drills', () => {
    const rules = (parse(readFileSync(path.join(PROM, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).to.include.members([
      'SwitchyardBacklogGrowing', 'SwitchyardJobFailureRate', 'SwitchyardTelegram429Storm',
      'SwitchyardRedisDown', 'SwitchyardPostgresDown', 'SwitchyardNoRecentBackup', 'SwitchyardBackupDrillFailed',
    ]);
  });

  it('the Grafana dashboard only queries metrics the platform exports', () => {
    const dash = JSON.parse(readFileSync(path.join(ROOT, 'config/grafana/dashboards/switchyard.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(dash.panels.length).to.be.at.least(8);
    for (const panel of dash.panels) {
      for (const { expr } of panel.targets) {
        const names = expr.match(/switchyard_[a-z_]+/g) ?? [];
        expect(names.length, panel.title).to.be.greaterThan(0);
        for (const n of names) expect(EXPORTED, `${panel.title}: ${n}`).to.include(n);
      }
    }
  });
});
