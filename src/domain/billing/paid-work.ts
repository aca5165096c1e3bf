import { DelayedError, UnrecoverableError } from 'bullmq';
import { TelegramRateLimitError } from '../../adapters/telegram.client';
import type { JobContext, WorkerDeps } from '../../jobs/handler.types';
import { isHandedBack, isLastTry } from '../../jobs/failures';
import type { Actor, Language } from '../../jobs/payloads';
import { InsufficientFundsError, type PostingResult } from '../../repositories/ledger.repository';
import { translate } from '../i18n/messages';
import { topupButton } from '../keyboards';
import { reply } from '../reply';
import { outboxRows, relayEffects, type Effect } from '../../jobs/outbox';

export type PaidService = 'avatar' | 'transcript';

export interface PaidRequest {
  service: PaidService;
  /** The request's domain id, e.g. `avatar:<chat>:<message>:<style>`: the hold's key, the same for every retry. */
  key: string;
  amount: number;
  /**
   * What is paid for, when the same thing may be asked for twice at once (a recording forwarded twice): while another
   * request holds for it, this one waits (`waitForTwin`) and then finds what the other stored, instead of paying twice.
   */
  source?: string;
}

/** How long a request waits for another one paying for the same source before it looks again. */
export const TWIN_WAIT_MS = 2_000;

/**
 * Waits for the request paying for the same source: the job comes back in TWIN_WAIT_MS, no attempt spent. Each wait
 * counts as `waited` in switchyard_billing_holds_total.
 */
export async function waitForTwin(deps: Pick<WorkerDeps, 'metrics'>, ctx: JobContext, service: PaidService): Promise<never> {
  deps.metrics.inc('switchyard_billing_holds_total', { service, outcome: 'waited' });
  await ctx.job.moveToDelayed(Date.now() + TWIN_WAIT_MS, ctx.token);
  throw new DelayedError();
}

/**
 * The work cannot be done for this input (not an image, too large…): a refusal, not a failure. The hold is
 * released, nothing is retried, and the caller tells the user `reason` (a translation key).
 */
export class WorkRefusedError extends Error {
  override readonly name: string = 'WorkRefusedError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export type PaidOutcome<T> =
  | { status: 'done'; result: T }
  /** The input was refused (WorkRefusedError): coins released, the caller explains `reason`. */
  | { status: 'refused'; reason: string }
  /** Too few coins: the user got the top-up prompt; the work did not start. */
  | { status: 'insufficient'; balance: number }
  /** The hold was released (the sweep took this request for dead): the user is told it expired; no result. */
  | { status: 'settled'; hold: 'released' };

/**
 * Tells a user their balance fell below the threshold: once per crossing (the ledger decided, in the posting's
 * transaction). Every posting that can take coins away (a hold, a negative grant, a refund) passes its result here.
 */
export async function noticeLowBalance(deps: Pick<WorkerDeps, 'enqueue'>, to: { chatId: number; lang: Language }, posting: PostingResult | undefined, key: string): Promise<void> {
  if (!posting?.lowBalance) return;
  const { chatId, lang } = to;
  await deps.enqueue(
    'message.send',
    { chatId, lang, template: { key: 'billing.low', params: { balance: String(posting.balance) } }, replyMarkup: topupButton(lang) },
    { jobId: `low-balance-${key}` },
  );
}

/**
 * Runs paid work under a hold: the coins are held BEFORE the work (and before any download), captured when it
 * succeeds — and only then is the result delivered — or released when it fails for good. The hold is keyed by the
 * request, so a retried job finds its own hold instead of holding twice; a job that dies mid-way is resumed by
 * BullMQ's stalled-job recovery with the same hold, or its hold is released by the sweep (`billing.sweep`) once the
 * job is gone.
 *
 * `work` must be repeatable: a run after a crash between capture and delivery does it again (paid once, by the
 * capture that is there). It is told whether the request ran before (`resumed`: the hold was there already), so a
 * first run can skip looking for what an earlier one left. `deliver` says what the user receives (jobs with
 * deterministic ids): they are written to the outbox BY THE CAPTURE'S STATEMENT, then relayed, so a capture never
 * commits without its delivery (src/jobs/outbox.ts). `after` runs once they are queued (the progress message's last
 * edit: cosmetic, not part of the promise).
 */
export async function runPaid<T>(
  deps: WorkerDeps,
  ctx: JobContext,
  actor: Actor,
  updateId: number | undefined,
  req: PaidRequest,
  work: (resumed: boolean) => Promise<T>,
  deliver: (result: T) => Effect[],
  after?: (result: T) => Promise<unknown>,
): Promise<PaidOutcome<T>> {
  const user = ctx.user!;
  const lang = user.language;
  const count = (outcome: string) => deps.metrics.inc('switchyard_billing_holds_total', { service: req.service, outcome });
  const expired = async () => {
    // Released (by the sweep, or on a refusal) while this run was away: the user was not charged and gets no result.
    await reply(deps.enqueue, ctx, actor, updateId, { key: 'billing.expired' });
    return { status: 'settled', hold: 'released' } as const;
  };
  // The crossing happened at the hold, but it is news only once the coins are really spent: a released hold
  // climbs back over the threshold (clearing the flag) and the user hears nothing. Keyed by the hold: once.
  const noticeIfCrossed = async (known?: { crossed: boolean; balance: number }) => {
    const { crossed, balance } = known ?? (await deps.holds.crossedLow(req.key));
    if (crossed) await noticeLowBalance(deps, { chatId: actor.chatId, lang }, { applied: true, balance, lowBalance: true }, `hold:${req.key}`);
  };
  // Without a price there is no hold to tell: the work looks for what an earlier run left.
  let resumed = true;
  if (req.amount > 0) {
    let held;
    try {
      held = await deps.holds.hold({ userId: user.id, key: req.key, service: req.service, amount: req.amount, source: req.source, queue: ctx.job.queueName, jobId: ctx.job.id! });
    } catch (err) {
      if (!(err instanceof InsufficientFundsError)) throw err;
      await reply(deps.enqueue, ctx, actor, updateId, {
        key: 'billing.insufficient',
        params: { service: translate(lang, `service.${req.service}`), price: String(req.amount), balance: String(err.balance) },
        replyMarkup: topupButton(lang),
      });
      count('insufficient');
      return { status: 'insufficient', balance: err.balance };
    }
    if (held.status === 'busy') return waitForTwin(deps, ctx, req.service);
    if (held.status === 'released') return expired();
    if (held.status === 'captured') {
      // Paid already: an earlier run captured (its delivery is in the outbox) and then died before relaying it, or
      // a twin run did. Relay what is still open, never charge. (Captures older than the outbox: written now.)
      const result = await work(true);
      const effects = deliver(result);
      await deps.outbox.add(deps.knex, outboxRows(effects), `hold:${req.key}`);
      await relayEffects(deps, effects);
      await after?.(result);
      await noticeIfCrossed();
      return { status: 'done', result };
    }
    if (held.created) count('held');
    resumed = !held.created;
  }
  let result: T;
  try {
    // BullMQ fails a job silently when its worker dies once more than JOB_MAX_STALLS allows: the run that would be
    // the last one recovered gives up instead, so the hold is released and the user told (one result, no coins).
    if (ctx.job.stalledCounter >= deps.config.JOB_MAX_STALLS) {
      throw new UnrecoverableError(`its worker stopped ${ctx.job.stalledCounter} times while running it (JOB_MAX_STALLS)`);
    }
    result = await work(resumed);
  } catch (err) {
    if (err instanceof WorkRefusedError) {
      if (req.amount > 0 && (await deps.holds.settle(req.key, 'released', err.reason)).settled) count('released');
      return { status: 'refused', reason: err.reason };
    }
    // A wait (Telegram's 429, a delay) spends no attempt: the job comes back with its hold.
    // Handed back at shutdown: the job runs again elsewhere with this hold.
    const waits = err instanceof TelegramRateLimitError || err instanceof DelayedError || isHandedBack(ctx);
    if (req.amount > 0 && !waits && isLastTry(err, ctx.job)) {
      if ((await deps.holds.settle(req.key, 'released', String((err as Error)?.message ?? err).slice(0, 200))).settled) count('released');
    }
    throw err;
  }
  const effects = deliver(result);
  let captured: Awaited<ReturnType<typeof deps.holds.settle>> | undefined;
  if (req.amount > 0) {
    // The capture and the delivery's outbox rows: one statement, so paid work is never left undelivered.
    captured = await deps.holds.settle(req.key, 'captured', undefined, deps.outbox.cte(outboxRows(effects), `hold:${req.key}`));
    // Someone else settled it meanwhile: captured by a twin run (its rows are there: relay them), or released by the
    // sweep (no result).
    if (!captured.settled && captured.status === 'released') return expired();
    if (captured.settled) count('captured');
    await relayEffects(deps, effects);
  } else {
    // Nothing paid, nothing to commit with: queued directly.
    for (const e of effects) await deps.enqueue(e.name, e.payload as never, { jobId: e.jobId });
  }
  await after?.(result);
  if (captured) await noticeIfCrossed(captured.settled ? { crossed: captured.crossedLow === true, balance: captured.posting!.balance } : undefined);
  return { status: 'done', result };
}

/**
 * After a paid job's run threw: on its last try the user hears it did not work ("you were not charged") — unless the
 * price was captured already (the fault came while queuing the delivery): then that would be false, and the
 * delivery the capture wrote to the outbox is relayed by `outbox.relay`. Waits (429, a delay) and a hand-back at
 * shutdown are not the end of the job.
 */
export async function tellIfFinalFailure(
  deps: Pick<WorkerDeps, 'holds'>,
  ctx: JobContext,
  err: unknown,
  req: Pick<PaidRequest, 'service' | 'key'>,
  tell: () => Promise<unknown>,
): Promise<void> {
  const waits = err instanceof TelegramRateLimitError || err instanceof DelayedError || isHandedBack(ctx);
  if (waits || !isLastTry(err, ctx.job)) return;
  const status = await deps.holds.status(req.key).catch(() => undefined);
  if (status !== 'captured') await tell().catch(() => undefined);
  // The capture wrote the delivery to the outbox: `outbox.relay` queues it if this run did not.
  else ctx.log.warn(`${req.service} paid for; its delivery is in the outbox and is relayed from there`, { hold: req.key });
}
