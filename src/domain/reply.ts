import type { Job } from 'bullmq';
import type { Enqueue } from '../jobs/enqueue';
import type { JobContext } from '../jobs/handler.types';
import type { Actor } from '../jobs/payloads';

import type { InlineKeyboard } from './keyboards';

export type ReplyBody = ({ key: string; params?: Record<string, string> } | { text: string }) & { replyMarkup?: InlineKeyboard };

/**
 * Answers the user whose action a job handles, in their language, through `message.send`. The reply's job id comes
 * from the update (or the job), so a retried handler cannot queue the same answer twice.
 */
export function reply(enqueue: Enqueue, ctx: JobContext, actor: Actor, updateId: number | undefined, body: ReplyBody): Promise<Job> {
  const lang = ctx.user?.language ?? 'en';
  const content = 'text' in body ? { text: body.text } : { template: { key: body.key, params: body.params } };
  return enqueue('message.send', { chatId: actor.chatId, updateId, lang, ...content, replyMarkup: body.replyMarkup }, { jobId: `reply-${updateId ?? ctx.job.id}` });
}
