import { jobKey } from '../../jobs/job-key';
import type { HandlerMap, JobContext, WorkerDeps } from '../../jobs/handler.types';
import { isAdmin } from '../accounts/admin-right';
import { reply } from '../reply';
import type { BroadcastReport } from '../../jobs/broadcast-tally';

const PAGE = 500;

/** Sends the final report of a broadcast to the admin who started it. */
export async function sendBroadcastReport(deps: WorkerDeps, id: string, report: BroadcastReport): Promise<void> {
  const target = await deps.broadcasts.reportTarget(id);
  if (!target) return;
  const params = { sent: String(report.sent), blocked: String(report.blocked), failed: String(report.failed), total: String(report.total) };
  await deps.enqueue('message.send', { chatId: target.chatId, lang: target.lang, template: { key: 'broadcast.report', params } }, { jobId: `bc-report-${id}` });
}

/**
 * `/broadcast <text>`: the admin right is checked here; the fan-out pages through active users (keyset, 500 at a
 * time) and queues one `message.send` each, with job ids from the broadcast and the chat, so a retried fan-out
 * never queues a user twice. Progress (queued so far) shows in Bull Board; the report comes when the last message
 * has an outcome.
 */
export function broadcastHandlers(deps: WorkerDeps): Pick<HandlerMap<'notifications'>, 'broadcast'> {
  const { users, audit, enqueue, broadcasts, config } = deps;
  return {
    broadcast: async ({ actor, updateId, text }, ctx: JobContext) => {
      const lang = ctx.user?.language ?? 'en';
      const who = `user:${actor.telegramId}`;
      if (!isAdmin(config, actor)) {
        ctx.log.warn('admin command from a user who is not an admin', { security: 'admin.refused', command: 'broadcast' });
        await audit.record({ actor: who, action: 'admin.refused', subject: 'command:broadcast', idempotencyKey: `admin:${jobKey(config, ctx.job)}` });
        await reply(enqueue, ctx, actor, updateId, { key: 'admin.refused' });
        return { refused: true };
      }
      const id = String(ctx.job.id);
      await audit.record({ actor: who, action: 'admin.broadcast', subject: `broadcast:${id}`, details: { length: text.length }, idempotencyKey: `admin:${jobKey(config, ctx.job)}` });
      await broadcasts.start(id, actor.chatId, lang, text);
      let cursor = 0;
      let queued = 0;
      for (;;) {
        const ids = await users.activeIdsAfter(cursor, PAGE);
        if (!ids.length) break;
        await Promise.all(ids.map((chatId) => enqueue('message.send', { chatId, broadcastId: id }, { jobId: `bc-${id}-${chatId}` })));
        queued += ids.length;
        cursor = ids[ids.length - 1]!;
        await ctx.job.updateProgress({ queued });
      }
      const report = await broadcasts.setTotal(id, queued);
      if (report) await sendBroadcastReport(deps, id, report);
      return { queued };
    },
  };
}
