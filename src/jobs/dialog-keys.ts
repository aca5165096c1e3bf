import { slotTag, type RedisClient } from '../lib/redis';

/**
 * Where the bot's per-chat state lives in Redis, for the bot (admission, release) and the workers (restore after a
 * Redis loss). Keyed by bot id too: update ids and chats are only unique per bot. On a cluster the chat's or user's
 * id is the hash tag (`{42}`): a private chat's keys and its user's rate bucket share a slot, so one script admits
 * an update (docs/SCALING.md).
 */
export const botKey = (prefix: string, botId: number, suffix: string): string => `${prefix}:bot:${botId}:${suffix}`;

/** `id` as a hash tag on a cluster: every key of one chat (or user) in one slot. */
export const idTag = (redis: RedisClient, id: number): string => slotTag(redis, String(id));

export const dialogKey = (redis: RedisClient, prefix: string, botId: number, chatId: number, telegramId: number): string =>
  botKey(prefix, botId, `dialog:${idTag(redis, chatId)}:${telegramId}`);

/** The two keys of the dialog store itself share one tag of their own on a cluster (one MULTI sets both). */
const storeKey = (redis: RedisClient, prefix: string, botId: number, name: string): string =>
  redis.isCluster ? `{${botKey(prefix, botId, 'dialogs')}}:${name}` : botKey(prefix, botId, `dialogs:${name}`);

/**
 * The dialog store's epoch: set once Redis is known to hold every dialog state there is (a fresh store, or one a
 * worker checked). Missing after a flush or a failover that lost it: dialog misses are then restored from Postgres.
 */
export const dialogEpochKey = (redis: RedisClient, prefix: string, botId: number): string => storeKey(redis, prefix, botId, 'epoch');

/** Present while Redis may lack states Postgres has (FSM_TTL_SECONDS after a loss was found): misses are restored. */
export const dialogRecoveryKey = (redis: RedisClient, prefix: string, botId: number): string => storeKey(redis, prefix, botId, 'recovery');

/** What a restore writes when Postgres has no state either: "no dialog", so the same miss is not restored again. */
export const NO_DIALOG = 'null';
