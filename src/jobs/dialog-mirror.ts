import type { RedisClient } from '../lib/redis';
import { dialogEpochKey, dialogKey, dialogRecoveryKey, NO_DIALOG } from './dialog-keys';
import type { DialogState } from '../shared/actor';
import type { DialogStatesRepository } from '../repositories/dialog-states.repository';

/**
 * Dialog state that survives Redis (docs/RELIABILITY.md, dialog state): Redis holds it for the bot; every transition
 * is also written here to Postgres, and after a Redis loss the last one is copied back into Redis when the bot meets
 * a user it has no state for.
 */
export class DialogMirror {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly repo: DialogStatesRepository,
    private readonly ttlSeconds: number,
  ) {}

  save(botId: number, chatId: number, telegramId: number, updateId: number, state: DialogState | null): Promise<boolean> {
    return this.repo.save(botId, chatId, telegramId, updateId, state);
  }

  /** Drops states older than their lifetime in Redis: nothing will restore them (the daily retention prune). */
  prune(): Promise<number> {
    return this.repo.prune(this.ttlSeconds);
  }

  /**
   * Puts the user's last state (or "none") into Redis unless Redis has one by now, and settles the store's epoch: a
   * missing epoch means Redis lost its data; if Postgres has states young enough to matter, a recovery window of
   * FSM_TTL_SECONDS opens, in which every miss is restored (each user once: the restored value stays).
   */
  async restore(botId: number, chatId: number, telegramId: number): Promise<{ restored: boolean }> {
    const state = await this.repo.load(botId, chatId, telegramId, this.ttlSeconds);
    await this.redis.set(dialogKey(this.redis, this.prefix, botId, chatId, telegramId), state ? JSON.stringify(state) : NO_DIALOG, 'EX', this.ttlSeconds, 'NX');
    await this.settle(botId);
    return { restored: state !== null };
  }

  /**
   * Sets the store's epoch if Redis has none (a fresh Redis, or one that lost its data), opening the recovery window
   * first when Postgres has states young enough to matter. Workers run it at start and every
   * SCHEDULES_CHECK_SECONDS, so a fresh deployment's bot rarely waits for it. Returns whether a window was opened.
   */
  async settle(botId: number): Promise<boolean> {
    const epoch = dialogEpochKey(this.redis, this.prefix, botId);
    if (await this.redis.exists(epoch)) return false;
    const lost = await this.repo.anyFresh(botId, this.ttlSeconds);
    // The window first, then the epoch: the bot never sees an epoch without the window it needs.
    const tx = this.redis.multi();
    if (lost) tx.set(dialogRecoveryKey(this.redis, this.prefix, botId), String(Date.now()), 'EX', this.ttlSeconds);
    await tx.set(epoch, String(Date.now())).exec();
    return lost;
  }
}
