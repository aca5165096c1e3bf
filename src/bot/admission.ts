import type { Config } from '../config';
import { Batcher } from '../lib/batcher';
import { groupBySlot, luaScript, slotOf, type RedisClient } from '../lib/redis';
import { dialogEpochKey, dialogRecoveryKey } from '../jobs/dialog-keys';
import { ADMIT_SCRIPT, RATE_SCRIPT, RELEASE_SCRIPT } from './ingress.scripts';

/*
 * The ingress's two Redis steps per update (src/bot/ingress.ts), each batched over the updates of one turn of the
 * event loop: admission before the features run (dedupe, chat lock, rate limit, dialog state), release after.
 */

const DEDUPE_TTL_S = 24 * 3600;
/** The chat lock's TTL: a handler never outlives it (telegraf's handlerTimeout is below it). */
export const LOCK_TTL_MS = 10_000;

// Key counts vary with the batch size, so the first argument says how many keys follow.
const admitScript = luaScript(ADMIT_SCRIPT);
const releaseScript = luaScript(RELEASE_SCRIPT);
const rateScript = luaScript(RATE_SCRIPT);

export interface AdmitRequest {
  dedupe: string;
  lock: string;
  dialog: string;
  /** The user's rate bucket; undefined: exempt (money). */
  bucket?: string;
  token: string;
}
export type AdmitResult = [status: number, dialog: string | null, restore: 0 | 1];
export interface ReleaseRequest {
  keys: [lock: string, dialog: string, dedupe: string];
  args: [token: string, op: 'keep' | 'set' | 'del', dialog: string, ttl: number, handled: 0 | 1];
}

export class Admission {
  private readonly admitBatch: Batcher<AdmitRequest, AdmitResult>;
  private readonly releaseBatch: Batcher<ReleaseRequest, number>;

  constructor(
    private readonly redis: RedisClient,
    private readonly config: Pick<Config, 'QUEUE_PREFIX' | 'RATE_LIMIT_BURST' | 'RATE_LIMIT_PER_MINUTE'>,
    private readonly botId: number,
  ) {
    admitScript.define(redis);
    releaseScript.define(redis);
    rateScript.define(redis);
    this.admitBatch = new Batcher((items) => this.admitAll(items));
    // On a cluster one call per slot (the chat's tag), all at once.
    this.releaseBatch = new Batcher(async (items) => {
      await Promise.all(
        groupBySlot(redis, items, (i) => i.keys[0]).map((group) =>
          releaseScript(this.redis, group.length * 3, ...group.flatMap((i) => i.keys), DEDUPE_TTL_S, ...group.flatMap((i) => i.args)),
        ),
      );
      return items.map(() => 1);
    });
  }

  /** Admits one update, in one script call with the others of this turn of the event loop. */
  admit(request: AdmitRequest): Promise<AdmitResult> {
    return this.admitBatch.call(request);
  }

  /** After the features ran: marks the update done (or forgets it), saves its dialog, releases the chat lock. */
  release(request: ReleaseRequest): Promise<number> {
    return this.releaseBatch.call(request);
  }

  /**
   * Admits a batch in one script call on one Redis. On a cluster: one call per chat slot, all at once, after one read
   * of the dialog store's two keys (they live in a slot of their own); a user's bucket in another slot than the chat
   * (group chats) is spent by a second call while the lock is held.
   */
  private async admitAll(items: AdmitRequest[]): Promise<AdmitResult[]> {
    const { config, botId } = this;
    const redis = this.redis;
    const refillPerMs = config.RATE_LIMIT_PER_MINUTE / 60_000;
    const noticeTtl = Math.max(60, Math.ceil(config.RATE_LIMIT_BURST / refillPerMs / 1000));
    const store = [dialogEpochKey(redis, config.QUEUE_PREFIX, botId), dialogRecoveryKey(redis, config.QUEUE_PREFIX, botId)];
    let lost = 'keys';
    if (redis.isCluster) {
      const [epoch, recovery] = await Promise.all([redis.exists(store[0]!), redis.exists(store[1]!)]);
      lost = epoch === 0 || recovery === 1 ? '1' : '0';
    }
    const together = (i: AdmitRequest) => i.bucket !== undefined && (!redis.isCluster || slotOf(i.bucket) === slotOf(i.lock));
    const results = new Map<AdmitRequest, AdmitResult>();
    await Promise.all(
      groupBySlot(redis, items, (i) => i.lock).map(async (group) => {
        const keys = redis.isCluster ? [] : [...store];
        for (const i of group) keys.push(i.dedupe, i.lock, i.dialog);
        const args: (string | number)[] = [];
        for (const i of group) args.push(i.token, together(i) ? keys.push(i.bucket!) : 0);
        const out = (await admitScript(redis, keys.length, ...keys, LOCK_TTL_MS, config.RATE_LIMIT_BURST, refillPerMs, noticeTtl, lost, group.length, ...args)) as AdmitResult[];
        group.forEach((i, n) => results.set(i, out[n]!));
      }),
    );
    const apart = items.filter((i) => i.bucket !== undefined && !together(i) && results.get(i)![0] === 1);
    await Promise.all(
      groupBySlot(redis, apart, (i) => i.bucket!).map(async (group) => {
        const out = (await rateScript(redis, group.length, ...group.map((i) => i.bucket!), config.RATE_LIMIT_BURST, refillPerMs, noticeTtl)) as number[];
        group.forEach((i, n) => (results.get(i)![0] = out[n]!));
      }),
    );
    return items.map((i) => results.get(i)!);
  }

}
