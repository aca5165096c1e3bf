import { createHash, randomBytes, randomInt } from 'node:crypto';

/** A Bot API error; the HTTP status always equals error_code, as on api.telegram.org. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
  }
}

export const badRequest = (what: string): ApiError => new ApiError(400, `Bad Request: ${what}`);

/**
 * Wakes every pending waiter on notify(). Waiters re-check their own condition afterwards,
 * so one notifier per bot is enough and nobody has to busy-loop.
 */
export class Notifier {
  private waiters = new Set<() => void>();

  notify(): void {
    const current = [...this.waiters];
    this.waiters.clear();
    for (const wake of current) wake();
  }

  /** Resolves on the next notify(), after `ms`, or when any signal aborts — whichever is first. */
  wait(ms: number, ...signals: Array<AbortSignal | undefined>): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        for (const s of signals) s?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
      for (const s of signals) {
        if (s?.aborted) return done();
        s?.addEventListener('abort', done, { once: true });
      }
    });
  }
}

export const unixNow = (): number => Math.floor(Date.now() / 1000);

/** Large decimal string like Telegram's callback/pre-checkout query ids. */
export const queryId = (): string => randomBytes(8).readBigUInt64BE().toString();

export const randomToken = (bytes = 24): string => randomBytes(bytes).toString('base64url');

export const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();

/** Stable signed 64-bit decimal, the way chat_instance looks in real callback queries. */
export const chatInstance = (botId: number, chatId: number): string =>
  BigInt.asIntN(64, sha256(`${botId}:${chatId}`).readBigUInt64BE()).toString();

export const randomUserId = (): number => 100_000_000 + randomInt(0, 899_999_999);

/** Strips keys whose value is undefined so JSON shapes match Telegram's "field omitted" style. */
export function compact<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as Array<keyof T>) if (obj[key] === undefined) delete obj[key];
  return obj;
}
