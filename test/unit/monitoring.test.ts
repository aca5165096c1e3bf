import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  // Redis at scrape time, and every process's CPU and memory (published through Redis).
  'switchyard_redis_memory_used_bytes',
  'switchyard_redis_maxmemory_bytes',
  'switchyard_redis_ping_seconds',
  'switchyard_process_cpu_seconds_total',
  'switchyard_process_resident_memory_bytes',
  'switchyard_process_heap_used_bytes',
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
      'SwitchyardRedisUnreachable', 'SwitchyardRedisExporterDown', 'SwitchyardRedisMemoryNearLimit', 'SwitchyardRedisMemoryLarge',
      'SwitchyardRedisSlow', 'SwitchyardProcessMemoryHigh', 'SwitchyardProcessCpuBusy',
    ]);
  });

  it('every alert rule has a promtool unit test', () => {
    const rules = (parse(readFileSync(path.join(PROM, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules);
    const tests = parse(readFileSync(path.join(PROM, 'alerts.test.yml'), 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const fired = new Set(tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect(rules.map((r) => r.alert).filter((a) => !fired.has(a))).to.deep.equal([]);
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

/** config/alertmanager: every Prometheus alert reaches the admins over Telegram (docs/DEPLOYMENT.md). */
describe('alert delivery (config/alertmanager)', () => {
  const AM = path.join(ROOT, 'config', 'alertmanager');
  let dir: string;
  let rendered: string;
  const render = (env: Record<string, string>) =>
    spawnSync('sh', [path.join(AM, 'entrypoint.sh'), '--render-only'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ALERTMANAGER_TEMPLATE: path.join(AM, 'alertmanager.yml'), ALERTMANAGER_RENDERED: rendered, ...env },
    });
  const amtool = (...args: string[]) => spawnSync('amtool', args, { encoding: 'utf8' });

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-am-'));
    rendered = path.join(dir, 'alertmanager.yml');
    const r = render({ ALERT_TELEGRAM_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0', ALERT_TELEGRAM_CHAT_ID: '-1001234567890' });
    expect(r.status, r.stderr).to.equal(0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the entrypoint puts the token and chat id from the environment into the config, and refuses bad ones', () => {
    const telegram = (parse(readFileSync(rendered, 'utf8')) as { receivers: { name: string; telegram_configs: Record<string, unknown>[] }[] }).receivers[0]!;
    expect(telegram.name).to.equal('telegram-admins');
    expect(telegram.telegram_configs[0]).to.include({ bot_token: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0', chat_id: -1001234567890, send_resolved: true });
    for (const env of [{ ALERT_TELEGRAM_CHAT_ID: '1' }, { ALERT_TELEGRAM_BOT_TOKEN: '1:a|b', ALERT_TELEGRAM_CHAT_ID: '1' }, { ALERT_TELEGRAM_BOT_TOKEN: '1:a', ALERT_TELEGRAM_CHAT_ID: '@admins' }]) {
      const r = spawnSync('sh', [path.join(AM, 'entrypoint.sh'), '--render-only'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ALERTMANAGER_TEMPLATE: path.join(AM, 'alertmanager.yml'), ALERTMANAGER_RENDERED: path.join(dir, 'bad.yml'), ...env },
      });
      expect(r.status, JSON.stringify(env)).to.equal(1);
      expect(r.stderr).to.match(/ALERT_TELEGRAM_(BOT_TOKEN|CHAT_ID) must be/);
    }
  });

  it('Alertmanager accepts the rendered config (amtool check-config)', () => {
    const r = amtool('check-config', rendered);
    expect(r.error, 'amtool missing: apt-get install prometheus-alertmanager').to.equal(undefined);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
  });

  it('every alert, whatever its severity, is routed to the Telegram receiver (amtool config routes test)', () => {
    const rules = (parse(readFileSync(path.join(PROM, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; labels: { severity: string } }[] }[] }).groups.flatMap((g) => g.rules);
    for (const rule of rules) {
      const r = amtool('config', 'routes', 'test', `--config.file=${rendered}`, `alertname=${rule.alert}`, `severity=${rule.labels.severity}`);
      expect(r.stdout.trim(), rule.alert).to.equal('telegram-admins');
    }
  });

  it('the Telegram message template renders (amtool template render)', () => {
    const message = (parse(readFileSync(rendered, 'utf8')) as { receivers: { telegram_configs: { message: string }[] }[] }).receivers[0]!.telegram_configs[0]!.message;
    const empty = path.join(dir, 'none.tmpl');
    spawnSync('sh', ['-c', `printf '{{ define "none" }}{{ end }}' > ${empty}`]);
    const r = amtool('template', 'render', `--template.glob=${empty}`, `--template.text=${message}`);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/FIRING|RESOLVED/);
  });
});
