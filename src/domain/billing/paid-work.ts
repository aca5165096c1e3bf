import type { JobContext, WorkerDeps } from '../../jobs/handler.types';
import { isLastTry } from '../../jobs/failures';
import type { Actor, Language } from '../../jobs/payloads';
import { InsufficientFundsError, type PostingResult } from '../../repositories/ledger.repository';
import { translate } from '../i18n/messages';
import { topupButton } from '../keyboards';
import { reply } from '../reply';

export type PaidService = 'avatar' | 'transcript';

export interface PaidRequest {
  service: PaidService;
  /** The request's domain id, e.g. `avatar:<chat>:<message>`: the hold's key, the same for every retry. */
  key: string;
  amount: number;
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
  /** An earlier run of this request settled its hold already (done and captured, or released): nothing to do. */
  | { status: 'settled'; hold: 'captured' | 'released' };

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
 * succeeds, released when it fails for good. The hold is keyed by the request, so a retried job finds its own hold
 * instead of holding twice; a job that dies mid-way is resumed by BullMQ's stalled-job recovery with the same hold,
 * or its hold is released by the sweep (`billing.sweep`) once the job is gone.
 */
export async function runPaid<T>(deps: WorkerDeps, ctx: JobContext, actor: Actor, updateId: number | undefined, req: PaidRequest, work: () => Promise<T>): Promise<PaidOutcome<T>> {
  const user = ctx.user!;
  const lang = user.language;
  if (req.amount > 0) {
    let held;
    try {
      held = await deps.holds.hold({ userId: user.id, key: req.key, service: req.service, amount: req.amount, queue: ctx.job.queueName, jobId: ctx.job.id! });
    } catch (err) {
      if (!(err instanceof InsufficientFundsError)) throw err;
      await reply(deps.enqueue, ctx, actor, updateId, {
        key: 'billing.insufficient',
        params: { service: translate(lang, `service.${req.service}`), price: String(req.amount), balance: String(err.balance) },
        replyMarkup: topupButton(lang),
      });
      deps.metrics.inc('switchyard_billing_holds_total', { service: req.service, outcome: 'insufficient' });
      return { status: 'insufficient', balance: err.balance };
    }
    if (held.status !== 'held') {
      // Released by the sweep while this job was away (it looked dead): the user was not charged; say so once.
      if (held.status === 'released') await reply(deps.enqueue, ctx, actor, updateId, { key: 'billing.expired' });
      return { status: 'settled', hold: held.status };
    }
    if (held.created) deps.metrics.inc('switchyard_billing_holds_total', { service: req.service, outcome: 'held' });
  }
  let result: T;
  try {
    result = await work();
  } catch (err) {
    if (err instanceof WorkRefusedError) {
      if (req.amount > 0) {
        const { settled } = await deps.holds.settle(req.key, 'released', err.reason);
        if (settled) deps.metrics.inc('switchyard_billing_holds_total', { service: req.service, outcome: 'released' });
      }
      return { status: 'refused', reason: err.reason };
    }
    if (req.amount > 0 && isLastTry(err, ctx.job)) {
      const { settled } = await deps.holds.settle(req.key, 'released', (err as Error).message.slice(0, 200));
      if (settled) deps.metrics.inc('switchyard_billing_holds_total', { service: req.service, outcome: 'released' });
    }
    throw err;
  }
  if (req.amount > 0) {
    const { settled } = await deps.holds.settle(req.key, 'captured');
    if (settled) deps.metrics.inc('switchyard_billing_holds_total', { service: req.service, outcome: 'captured' });
    // The crossing happened at the hold, but it is news only once the coins are really spent: a released hold
    // climbs back over the threshold (clearing the flag) and the user hears nothing. Keyed by the hold: once.
    const { crossed, balance } = await deps.holds.crossedLow(req.key);
    if (crossed) await noticeLowBalance(deps, { chatId: actor.chatId, lang }, { applied: true, balance, lowBalance: true }, `hold:${req.key}`);
  }
  return { status: 'done', result };
}
