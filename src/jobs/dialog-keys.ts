/**
 * Where dialog state lives in Redis, for the bot (admission, release) and the workers (restore after a Redis loss).
 * Keyed by bot id too: update ids and chats are only unique per bot.
 */
export const botKey = (prefix: string, botId: number, suffix: string): string => `${prefix}:bot:${botId}:${suffix}`;

export const dialogKey = (prefix: string, botId: number, chatId: number, telegramId: number): string => botKey(prefix, botId, `dialog:${chatId}:${telegramId}`);

/**
 * The dialog store's epoch: set once Redis is known to hold every dialog state there is (a fresh store, or one a
 * worker checked). Missing after a flush or a failover that lost it: dialog misses are then restored from Postgres.
 */
export const dialogEpochKey = (prefix: string, botId: number): string => botKey(prefix, botId, 'dialogs:epoch');

/** Present while Redis may lack states Postgres has (FSM_TTL_SECONDS after a loss was found): misses are restored. */
export const dialogRecoveryKey = (prefix: string, botId: number): string => botKey(prefix, botId, 'dialogs:recovery');

/** What a restore writes when Postgres has no state either: "no dialog", so the same miss is not restored again. */
export const NO_DIALOG = 'null';
