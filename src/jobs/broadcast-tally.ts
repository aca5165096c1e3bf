import { luaScript, type RedisClient, slotTag } from '../lib/redis';

export type BroadcastOutcome = 'sent' | 'blocked' | 'failed';

/** KEYS: tally, counted chats. ARGV: field, chat id. Counts a chat's outcome once (a re-run job does not count
 * twice); returns {1, sent, blocked, failed, total} when that was the last outcome (else {0}). */
const COUNT = `
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return {0} end
redis.call('EXPIRE', KEYS[2], 7 * 86400)
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local v = redis.call('HMGET', KEYS[1], 'sent', 'blocked', 'failed', 'total', 'reported')
local sent, blocked, failed = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')
local total = tonumber(v[4] or '-1')
if total >= 0 and sent + blocked + failed >= total and not v[5] then
  redis.call('HSET', KEYS[1], 'reported', '1')
  return {1, sent, blocked, failed, total}
end
return {0}
`;

/** KEYS: tally. ARGV: total. Sets the total once the fan-out is complete; reports at once if everything already ended. */
const SET_TOTAL = `
redis.call('HSET', KEYS[1], 'total', ARGV[1])
redis.call('EXPIRE', KEYS[1], 7 * 86400)
local v = redis.call('HMGET', KEYS[1], 'sent', 'blocked', 'failed', 'reported')
local sent, blocked, failed = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')
if sent + blocked + failed >= tonumber(ARGV[1]) and not v[4] then
  redis.call('HSET', KEYS[1], 'reported', '1')
  return {1, sent, blocked, failed, tonumber(ARGV[1])}
end
return {0}
`;

export interface BroadcastReport {
  sent: number;
  blocked: number;
  failed: number;
  total: number;
}

const countScript = luaScript(COUNT, 2);
const setTotalScript = luaScript(SET_TOTAL, 1);

/**
 * The tally of one broadcast in Redis: every message's final outcome is counted, and whoever counts the last one
 * (or sets the total after the last one) gets the report — exactly once, whatever the number of workers.
 */
export class BroadcastTally {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    countScript.define(redis);
    setTotalScript.define(redis);
  }

  private key(id: string): string {
    // The tally and its set of counted chats share a tag on a cluster (one script takes both).
    return slotTag(this.redis, `${this.prefix}:broadcast:${id}`);
  }

  private static report(r: number[]): BroadcastReport | null {
    return r[0] === 1 ? { sent: r[1]!, blocked: r[2]!, failed: r[3]!, total: r[4]! } : null;
  }

  /** Who gets the report, and the text: kept once here (7 days), not copied into every message's job. */
  async start(id: string, adminChatId: number, lang: string, text: string): Promise<void> {
    await this.redis.multi().hset(this.key(id), 'admin', String(adminChatId), 'lang', lang, 'text', text).expire(this.key(id), 7 * 86400).exec();
  }

  /** The broadcast's text (null once its 7 days are over, or after Redis lost it). */
  async text(id: string): Promise<string | null> {
    return this.redis.hget(this.key(id), 'text');
  }

  async reportTarget(id: string): Promise<{ chatId: number; lang: 'en' | 'ru' } | null> {
    const [admin, lang] = await this.redis.hmget(this.key(id), 'admin', 'lang');
    return admin ? { chatId: Number(admin), lang: lang === 'ru' ? 'ru' : 'en' } : null;
  }

  async count(id: string, chatId: number, outcome: BroadcastOutcome): Promise<BroadcastReport | null> {
    return BroadcastTally.report((await countScript(this.redis, this.key(id), `${this.key(id)}:counted`, outcome, chatId)) as number[]);
  }

  async setTotal(id: string, total: number): Promise<BroadcastReport | null> {
    return BroadcastTally.report((await setTotalScript(this.redis, this.key(id), total)) as number[]);
  }
}
