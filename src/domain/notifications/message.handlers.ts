import { DelayedError, type Job } from 'bullmq';
import { ChatUnreachableError, TelegramBadRequestError, TelegramRateLimitError } from '../../adapters/telegram.client';
import type { HandlerMap, WorkerDeps } from '../../jobs/handler.types';
import { isLastTry } from '../../jobs/failures';
import { jobKey } from '../../jobs/job-key';
import type { Logger } from '../../lib/logger';
import type { Claim } from '../../jobs/chat-pacer';
import { loadAvatarMedia, sendAvatarMedia } from '../avatars/avatar-media';
import { translate } from '../i18n/messages';
import { splitText, TELEGRAM_TEXT_LIMIT } from './split-text';
import type { BroadcastOutcome } from '../../jobs/broadcast-tally';
import { broadcastHandlers, sendBroadcastReport } from './broadcast.handlers';

/** Notifications queue: the only code that sends user-visible messages. */
export function notificationHandlers(deps: WorkerDeps): HandlerMap<'notifications'> {
  const { telegram, users, receipts, alerts, enqueue, config, pacer, queues, broadcasts, avatars, transcripts } = deps;
  // A broadcast message's final outcome goes into its broadcast's tally; the last one triggers the report.
  const tally = async (broadcastId: string | undefined, chatId: number, outcome: BroadcastOutcome) => {
    if (!broadcastId) return;
    const report = await broadcasts.count(broadcastId, chatId, outcome);
    if (report) await sendBroadcastReport(deps, broadcastId, report);
  };
  // Waiting (for the chat's turn, its pace, or a 429) delays the job without spending an attempt or a worker slot.
  const waitInLine = async (job: Job, token: string | undefined, chatId: number, seq: number | undefined, ms: number, turn: boolean): Promise<never> => {
    await job.moveToDelayed(Date.now() + ms, token);
    // Our predecessor may have finished between the claim and the delay: then nobody would promote us.
    if (turn && seq && (await pacer.isTurn(chatId, seq))) await job.promote().catch(() => undefined);
    throw new DelayedError();
  };
  // The job's BullMQ lock, checked with each claim: a worker that lost it sends nothing (see ChatPacer.claim).
  const lockOf = (job: Job, token: string | undefined) => (token ? { key: `${job.queueQualifiedName}:${job.id}:lock`, token } : undefined);
  /**
   * Acts on a claim that said "not now": waits in line (delayed), or — the job stalled and another worker runs it
   * now — stops without touching it (a DelayedError leaves the job to its new owner).
   */
  const notNow = async (claim: Exclude<Claim, { go: true }>, job: Job, token: string | undefined, chatId: number, seq: number | undefined, log: Logger): Promise<never> => {
    if (claim.reason === 'lost') {
      log.warn('the job\'s lock went to another worker (this one stalled); not sending from here');
      throw new DelayedError();
    }
    return waitInLine(job, token, chatId, seq, claim.waitMs, claim.reason === 'turn');
  };
  // Done with (sent, or given up): the chat's next message may go, at once if it is already waiting.
  const moveLine = async (chatId: number, seq: number | undefined, jobId?: string) => {
    if (!seq) return;
    const waiting = await pacer.advance(chatId, seq, jobId);
    if (waiting) await (await queues.get('notifications').getJob(waiting))?.promote().catch(() => undefined);
  };
  /**
   * Telegram has accepted a part: its receipt must be stored, or a retry sends the part again. A failing insert
   * (Postgres away, restarting) is tried again in place, 0.25 s … 5 s apart, for up to OUTAGE_BUDGET_MINUTES; the
   * worker keeps the job's lock meanwhile. Only a shutdown or the spent budget gives up (the part may then repeat).
   */
  const keepReceipt = async (key: string, part: number, chatId: number, messageId: number, log: Logger, signal?: AbortSignal) => {
    const deadline = Date.now() + config.OUTAGE_BUDGET_MINUTES * 60_000;
    for (let wait = 250, tries = 1; ; wait = Math.min(wait * 2, 5_000), tries++) {
      try {
        await receipts.record(key, part, chatId, messageId);
        if (tries > 1) log.info('send receipt stored after retrying', { part, tries });
        return;
      } catch (err) {
        if (Date.now() >= deadline || signal?.aborted) throw err;
        if (tries === 1) log.warn('send receipt not stored; trying again (the part is not sent again)', { part, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
  return {
    ...broadcastHandlers(deps),
    'admin.alert': async ({ fingerprint, source, message, firstSeenAt }, { job }) => {
      const count = await alerts.take(fingerprint);
      const text = `⚠️ ${source}\n${message}\n×${Math.max(count, 1)} since ${firstSeenAt}`;
      await Promise.all(
        config.ADMIN_IDS.map((chatId) => enqueue('message.send', { chatId, text }, { jobId: `alert-${job.id}-${chatId}` })),
      );
      return { admins: config.ADMIN_IDS.length, count };
    },
    'message.edit': async ({ chatId, messageJobId, messageId: givenId, lang, text, template, replyMarkup, seq }, { job, token, log }) => {
      // In the chat's line like any message: the edit waits for what was queued before it, the message it edits too.
      const claim = await pacer.claim(chatId, seq ?? 0, job.id!, lockOf(job, token));
      if (!claim.go) await notNow(claim, job, token, chatId, seq, log);
      const done = () => moveLine(chatId, seq, job.id);
      const messageId = givenId ?? (await receipts.messageId(jobKey(config, { id: messageJobId!, timestamp: 0 })));
      try {
        // The message it edits was never delivered (blocked chat, given up): nothing to edit.
        if (messageId !== undefined) {
          await telegram.editMessageText(chatId, messageId, text ?? translate(lang, template!.key, template!.params), { replyMarkup });
        }
      } catch (err) {
        // "message is not modified" is success; other errors: retried or failed by the runner, the line moves on when final.
        if (!(err instanceof TelegramBadRequestError && /not modified/i.test(err.message))) {
          await pacer.unclaim(chatId, job.id!, lockOf(job, token));
          if (isLastTry(err, job)) await done();
          throw err;
        }
      }
      await done();
      return { edited: messageId !== undefined };
    },
    'message.send': async ({ chatId, lang, text, template, invoice, photo, document, album, transcript, parseMode, replyMarkup, seq, broadcastId }, { job, log, token, signal }) => {
      let body = text ?? (template ? translate(lang, template.key, template.params) : '');
      if (broadcastId && !body && !invoice) {
        // The broadcast's text, kept once (not in each of its thousands of jobs). Gone (past its 7 days, or Redis lost
        // it): nothing to send; the tally counts it failed so the report still comes.
        const stored = await broadcasts.text(broadcastId);
        if (stored === null) {
          await moveLine(chatId, seq);
          await tally(broadcastId, chatId, 'failed');
          return { delivered: false, reason: 'broadcast_gone' };
        }
        body = stored;
      }
      let transcriptParts: string[] | undefined;
      let media = await loadAvatarMedia(avatars, { photo, document, album });
      if (transcript) {
        // Decrypted here, at the last moment: the text is never in a job's payload, and a deleted one is not sent.
        let stored;
        try {
          stored = await transcripts.read(transcript.transcriptId);
        } catch (err) {
          // Unreadable (a key no longer listed, a damaged value: permanent) or the database away on the last try:
          // the chat must not wait for this message.
          if (isLastTry(err, job)) await moveLine(chatId, seq);
          throw err;
        }
        if (!stored) return (await moveLine(chatId, seq), { delivered: false, reason: 'transcript_deleted' });
        if (stored.text.length > config.TRANSCRIPT_DOCUMENT_CHARS) {
          media = { kind: 'document', file: { bytes: Buffer.from(stored.text, 'utf8'), filename: `transcript-${stored.id}.txt` } };
        } else {
          // The header stays with the first part, above the text.
          const head = body ? `${body}\n\n` : '';
          transcriptParts = splitText(stored.text, TELEGRAM_TEXT_LIMIT - head.length);
          transcriptParts[0] = head + transcriptParts[0];
        }
      }
      // An invoice or media (with its caption) is one message; a text is split at Telegram's 4096 characters.
      const parts = transcriptParts ?? (invoice || media !== undefined ? [body] : splitText(body));
      // The avatar was deleted before its turn came: nothing to send.
      if (media === null) return (await moveLine(chatId, seq), { delivered: false, reason: 'avatar_deleted' });
      // Parts an earlier run of this job already delivered (before a 429, a crash, a stall) are not sent again.
      const key = jobKey(config, job);
      // The receipts and the first part's claim are independent: ask Postgres and Redis at once.
      const lock = lockOf(job, token);
      const [sent, firstClaim] = await Promise.all([receipts.sentParts(key), pacer.claim(chatId, seq ?? 0, job.id!, lock)]);
      let claimed: typeof firstClaim | undefined = firstClaim;
      const wait = (ms: number, turn = false) => waitInLine(job, token, chatId, seq, ms, turn);
      const finish = () => moveLine(chatId, seq, job.id);
      try {
        for (let i = 0; i < parts.length; i++) {
          if (sent.has(i)) continue;
          const claim = claimed ?? (await pacer.claim(chatId, seq ?? 0, job.id!, lock));
          claimed = undefined;
          if (!claim.go) await notNow(claim, job, token, chatId, seq, log);
          // Buttons belong under the last part, where the user reads on.
          const markup = i === parts.length - 1 ? replyMarkup : undefined;
          let message;
          try {
            message = invoice
              ? await telegram.sendInvoice(chatId, invoice, { replyMarkup: markup })
              : media
                ? await sendAvatarMedia(telegram, chatId, media, body, markup)
                : await telegram.sendMessage(chatId, parts[i]!, { parseMode, replyMarkup: markup });
          } catch (err) {
            // No copy went (or none is known to have): a retry need not wait for this run's in-flight mark.
            await pacer.unclaim(chatId, job.id!, lock);
            // Telegram's 429 pauses this chat only; this message stays first in its line.
            if (err instanceof TelegramRateLimitError) await wait(await pacer.pause(chatId, err.retryAfterSeconds));
            throw err;
          }
          // The one window left: a crash between Telegram's answer and this insert repeats this one part. A
          // Postgres error here does not: the receipt is kept trying in place (keepReceipt).
          await keepReceipt(key, i, chatId, message.message_id, log, signal);
        }
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        if (err instanceof ChatUnreachableError) {
          // The user blocked the bot (403) or the chat is gone: remember it and stop; retrying cannot help.
          const marked = chatId > 0 && (await users.markBlocked(chatId));
          log.info('chat unreachable; not retrying', { chat_id: chatId, reason: err.message, marked_blocked: marked });
          await finish();
          await tally(broadcastId, chatId, 'blocked');
          return { delivered: false, reason: 'chat_unreachable' };
        }
        // Giving up on this message (bad request, or the last attempt): the chat must not wait for it.
        if (isLastTry(err, job)) {
          await finish();
          await tally(broadcastId, chatId, 'failed');
        }
        throw err;
      }
      await finish();
      await tally(broadcastId, chatId, 'sent');
      return { delivered: true, parts: parts.length, alreadySent: sent.size };
    },

    'receipts.prune': async (_payload, ctx) => {
      // Added by hand (Bull Board) with retention off: keep everything.
      if (config.RECEIPTS_KEEP_DAYS === 0) return { deleted: 0, kept: 'RECEIPTS_KEEP_DAYS=0 keeps send receipts for ever' };
      const before = new Date(Date.now() - config.RECEIPTS_KEEP_DAYS * 86_400_000);
      const deleted = await receipts.prune(before);
      ctx.log.info('send receipts pruned', { deleted, before: before.toISOString() });
      return { deleted, before: before.toISOString() };
    },
  };
}
