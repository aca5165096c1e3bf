import { QUEUE_NAMES } from '../../config';
import { jobKey } from '../../jobs/job-key';
import type { Handlers, JobContext, WorkerDeps } from '../../jobs/handler.types';
import type { AdminCommand } from '../../jobs/payloads';
import { isAdmin } from './admin-right';
import { reply } from '../reply';
import { translate } from '../i18n/messages';
import { megabytes } from '../backups/backup-files';
import type { CriticalEntry, CriticalFilter } from '../../observability/critical-log';
import { InsufficientFundsError } from '../../repositories/ledger.repository';
import { noticeLowBalance } from '../billing/paid-work';
import { refundCharge } from '../billing/refunds';

const USAGE: Record<AdminCommand, string> = {
  stats: '/stats',
  ban: '/ban <telegram id>',
  unban: '/unban <telegram id>',
  audit: '/audit [count ≤ 20]',
  grant: '/grant <telegram id> <coins> <reason>',
  refund: '/refund <telegram payment charge id>',
  backup: '/backup',
  logs: '/logs [count ≤ 50] [error | security]',
};

const LOG_FILTERS = new Set(['all', 'error', 'security']);

/** One critical-log entry as a line of the `/logs` answer: time, level or event, where, what. */
function logLine(e: CriticalEntry): string {
  const at = e.at.slice(0, 19).replace('T', ' ');
  const kind = e.security ? `security ${e.security}` : e.level;
  const trace = [e.job ? `job ${e.job}` : '', e.update_id !== undefined ? `update ${e.update_id}` : ''].filter(Boolean).join(', ');
  return `${at} ${kind} ${e.service}@${e.host}: ${e.message}${e.error ? ` — ${e.error}` : ''}${trace ? ` (${trace})` : ''}`;
}

/** Admin commands. The right is checked here: the ids in `ADMIN_IDS` (see isAdmin). */
export function adminHandlers(deps: WorkerDeps): Handlers<'admin.command'> {
  const { enqueue, audit, users, queues, config, ledger, metrics, backups, criticalLog } = deps;
  return {
    'admin.command': async ({ actor, updateId, command, args }, ctx: JobContext) => {
      const who = `user:${actor.telegramId}`;
      const answer = (key: string, params: Record<string, string> = {}) => reply(enqueue, ctx, actor, updateId, { key, params });
      if (!isAdmin(config, actor)) {
        ctx.log.warn('admin command from a user who is not an admin', { security: 'admin.refused', command });
        await audit.record({ actor: who, action: 'admin.refused', subject: `command:${command}`, details: { args }, idempotencyKey: `admin:${jobKey(config, ctx.job)}` });
        await answer('admin.refused');
        return { refused: true };
      }
      const target = Number(args[0]);
      const coins = Number(args[1]);
      const badGrant = command === 'grant' && (!Number.isSafeInteger(coins) || coins === 0 || args.length < 3);
      const badRefund = command === 'refund' && !/^[A-Za-z0-9_.:-]{1,64}$/.test(args[0] ?? '');
      if ((['ban', 'unban', 'grant'].includes(command) && !(Number.isInteger(target) && target > 0)) || badGrant || badRefund) {
        await answer('admin.usage', { usage: USAGE[command] });
        return { usage: true };
      }
      const subject = command === 'refund' ? `payment:${args[0]}` : target ? `user:${target}` : null;
      await audit.record({ actor: who, action: `admin.${command}`, subject, details: { args }, idempotencyKey: `admin:${jobKey(config, ctx.job)}` });
      switch (command) {
        case 'backup': {
          if (config.FEATURES_OFF.includes('backups')) {
            await answer('backups.unavailable');
            return { off: true };
          }
          // Told when the dump is written and again after its restore drill (docs/BACKUPS.md).
          const lang = ctx.user?.language ?? 'en';
          await enqueue('backup.run', { trigger: 'admin', requestedBy: { chatId: actor.chatId, lang } }, { jobId: `backup-admin-${ctx.job.id}` });
          await answer('admin.backup_queued');
          return { queued: true };
        }
        case 'refund': {
          const charge = args[0]!;
          const result = await refundCharge(deps, charge);
          switch (result.outcome) {
            case 'unknown':
              await answer('admin.refund_unknown', { charge });
              break;
            case 'already_refunded':
              await answer('admin.refund_already', { charge });
              break;
            case 'spent':
              await answer('admin.refund_spent', { balance: String(result.balance), coins: String(result.coins) });
              break;
            case 'telegram_refused':
              await answer('admin.refund_refused', { charge, reason: result.reason.slice(0, 200) });
              break;
            case 'refunded': {
              metrics.inc('switchyard_payments_total', { outcome: 'refunded' });
              const user = await users.findById(result.userId);
              if (user) await noticeLowBalance(deps, { chatId: user.telegram_id, lang: user.language }, result.posting, `refund:${charge}`);
              await answer('admin.refunded', { charge, stars: String(result.stars), user: String(user?.telegram_id ?? '?'), coins: String(result.coins), balance: String(result.balance) });
              break;
            }
          }
          return { refund: result.outcome };
        }
        case 'ban':
        case 'unban': {
          const found = await users.setStatus(target, command === 'ban' ? 'banned' : 'active');
          await answer(found ? (command === 'ban' ? 'admin.banned' : 'admin.unbanned') : 'admin.unknown_user', { user: String(target) });
          return { found };
        }
        case 'grant': {
          const found = await users.findByTelegramId(target);
          if (!found) {
            await answer('admin.unknown_user', { user: String(target) });
            return { found: false };
          }
          const reason = args.slice(2).join(' ');
          // Keyed by this job: a retry never grants twice; a second /grant is a second grant.
          let balance: number;
          try {
            const posting = await ledger.post({
              userId: found.id, kind: 'grant', amount: coins, idempotencyKey: `grant:${jobKey(config, ctx.job)}`, reference: who, details: { reason },
            });
            balance = posting.balance;
            await noticeLowBalance(deps, { chatId: found.telegram_id, lang: found.language }, posting, `grant:${ctx.job.id}`);
          } catch (err) {
            // A negative grant larger than the balance: say so, do not retry.
            if (!(err instanceof InsufficientFundsError)) throw err;
            await answer('admin.grant_refused', { user: String(target), balance: String(err.balance) });
            return { refused: 'insufficient' };
          }
          await answer('admin.granted', { user: String(target), coins: String(coins), balance: String(balance) });
          return { balance };
        }
        case 'stats': {
          const counts = await users.countByStatus();
          const since = Date.now() - 24 * 3600 * 1000;
          const lines: string[] = [];
          let failed24h = 0;
          for (const name of QUEUE_NAMES) {
            const q = queues.get(name);
            const c = await q.getJobCounts('waiting', 'active', 'failed');
            lines.push(`${name}: ${c.waiting} / ${c.active} / ${c.failed}`);
            // Failed jobs are kept 7 days (at most 5,000): enough to count the last 24 h.
            failed24h += (await q.getFailed(0, 4_999)).filter((j) => (j.finishedOn ?? 0) >= since).length;
          }
          const total = counts.active + counts.blocked_bot + counts.banned;
          const lang = ctx.user?.language ?? 'en';
          const newest = await backups.newestVerified();
          const backup = newest
            ? translate(lang, 'admin.stats.backup', {
                id: String(newest.id), hours: ((Date.now() - newest.finishedAt!.getTime()) / 3_600_000).toFixed(1), size: megabytes(newest.sizeBytes!),
              })
            : translate(lang, 'admin.stats.no_backup');
          const off = config.FEATURES_OFF.length ? translate(lang, 'admin.stats.off', { features: config.FEATURES_OFF.join(', ') }) : '';
          await answer('admin.stats', {
            backup, off,
            users: String(total), active: String(counts.active), blocked: String(counts.blocked_bot), banned: String(counts.banned),
            queues: lines.join('\n'), failed24h: String(failed24h),
          });
          return { users: total, failed24h };
        }
        case 'logs': {
          // "/logs 20 error", "/logs security" or "/logs": the count and the filter in either order.
          const count = args.map(Number).find((a) => Number.isInteger(a) && a > 0) ?? 10;
          const filter = (args.find((a) => LOG_FILTERS.has(a.toLowerCase()))?.toLowerCase() ?? 'all') as CriticalFilter;
          const entries = await criticalLog.read(Math.min(50, count), filter);
          let text = '';
          for (const line of entries.map(logLine)) {
            if (text.length + line.length + 1 > 3_800) break;
            text += `${text ? '\n' : ''}${line}`;
          }
          await answer(entries.length ? 'admin.logs' : 'admin.logs.empty', { entries: text, filter });
          return { entries: entries.length };
        }
        case 'audit': {
          const n = Math.min(20, Math.max(1, Number(args[0]) || 10));
          const events = await audit.latest(n);
          const text = events.map((e) => `${e.at.toISOString().slice(0, 19).replace('T', ' ')} ${e.actor} ${e.action}${e.subject ? ` ${e.subject}` : ''}`).join('\n');
          await answer(events.length ? 'admin.audit' : 'admin.audit.empty', { events: text.slice(0, 3_900) });
          return { events: events.length };
        }
      }
    },
  };
}
