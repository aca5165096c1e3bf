import type { Express } from 'express';
import type { Logger } from '../lib/logger';
import type { CriticalEntry, CriticalFilter, CriticalLog } from '../observability/critical-log';
import { BOARD_PATH, boardLogin, type BoardAccount } from './board';

export const CRITICAL_LOG_PATH = '/admin/logs';

const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const FILTERS: CriticalFilter[] = ['all', 'error', 'security'];

function row(e: CriticalEntry): string {
  const trace = [e.job && `job ${e.job}`, e.job_id && `#${e.job_id}`, e.queue && `queue ${e.queue}`, e.update_id !== undefined && `update ${e.update_id}`, e.user_id !== undefined && `user ${e.user_id}`]
    .filter(Boolean)
    .join(' · ');
  return `<tr class="${e.security ? 'sec' : esc(e.level)}"><td>${esc(e.at.slice(0, 19).replace('T', ' '))}</td><td>${esc(e.security ? `security: ${e.security}` : e.level)}</td>` +
    `<td>${esc(e.service)}@${esc(e.host)} (pid ${esc(e.pid)}, ${esc(e.version)})</td><td>${esc(e.message)}${e.error ? `<div class="err">${esc(e.error)}</div>` : ''}</td><td>${esc(trace)}</td></tr>`;
}

/** The page beside Bull Board: the critical log, newest first, for every board account (operators and viewers). */
export function mountCriticalLogPage(app: Express, deps: { accounts: BoardAccount[]; log: Logger; criticalLog: CriticalLog }): void {
  app.get(CRITICAL_LOG_PATH, boardLogin(deps.accounts, deps.log), async (req, res) => {
    const filter = (FILTERS.includes(String(req.query.filter) as CriticalFilter) ? String(req.query.filter) : 'all') as CriticalFilter;
    const n = Math.min(500, Math.max(1, Number(req.query.n) || 100));
    let entries: CriticalEntry[];
    try {
      entries = await deps.criticalLog.read(n, filter);
    } catch (err) {
      res.status(503).type('text/plain').send(`The critical log is in Redis, which did not answer: ${(err as Error).message}`);
      return;
    }
    const links = FILTERS.map((f) => (f === filter ? `<b>${f}</b>` : `<a href="?filter=${f}&n=${n}">${f}</a>`)).join(' · ');
    res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchyard critical log</title>
<style>body{font:14px system-ui,sans-serif;margin:16px;color:#222}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
tr.error td:nth-child(2){color:#b00020;font-weight:600}tr.sec td:nth-child(2){color:#8a4b00;font-weight:600}.err{color:#666;font-size:12px;white-space:pre-wrap}nav{margin-bottom:12px}</style></head>
<body><nav><a href="${BOARD_PATH}">Bull Board</a> · <b>Critical log</b> (errors and security events, newest first) — show: ${links}</nav>
<table><thead><tr><th>time (UTC)</th><th>level</th><th>process</th><th>message</th><th>trace</th></tr></thead><tbody>
${entries.length ? entries.map(row).join('\n') : '<tr><td colspan="5">Nothing recorded.</td></tr>'}
</tbody></table></body></html>`);
  });
}
