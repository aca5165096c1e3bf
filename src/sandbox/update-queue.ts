import { randomInt } from 'node:crypto';
import type { Update } from './sandbox.types';

interface Entry {
  update: Update;
  /** A redelivered copy whose update_id the bot may already have confirmed. */
  duplicate: boolean;
  delivered: boolean;
}

// Telegram's default when allowed_updates was never set: everything except these.
const OPT_IN_TYPES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

/**
 * Pending updates of one bot with getUpdates' offset semantics
 * (https://core.telegram.org/bots/api#getupdates). Update ids keep increasing across
 * reset() so a bot that is still polling with a high offset never discards new updates.
 */
export class UpdateQueue {
  private entries: Entry[] = [];
  private nextId = 10_000 + randomInt(0, 90_000);
  /** null = Telegram's default set; otherwise the last allowed_updates a bot sent. */
  allowed: string[] | null = null;

  get pendingCount(): number {
    return this.entries.length;
  }

  /** Assigns the next update_id. Returns the update even when allowed_updates filtered it out. */
  create(body: Omit<Update, 'update_id'>): { update: Update; queued: boolean } {
    const update = { update_id: this.nextId++, ...body } as Update;
    const queued = this.isAllowed(update);
    if (queued) this.entries.push({ update, duplicate: false, delivered: false });
    return { update, queued };
  }

  /** Queues an update as-is (injected or redelivered). A custom update_id never lowers nextId. */
  pushRaw(update: Update, duplicate: boolean): void {
    if (!duplicate && update.update_id >= this.nextId) this.nextId = update.update_id + 1;
    this.entries.push({ update, duplicate, delivered: false });
  }

  allocateId(): number {
    return this.nextId++;
  }

  /**
   * Applies the offset (confirming/forgetting earlier updates) and returns up to `limit`
   * pending updates without removing them: they stay until a later offset confirms them.
   */
  take(offset: number, limit: number): Update[] {
    if (offset < 0) {
      this.entries = this.entries.slice(Math.max(0, this.entries.length + offset));
    } else if (offset > 0) {
      // A redelivered duplicate carries an already-confirmed id; it must still be handed out once.
      this.entries = this.entries.filter(
        (e) => e.update.update_id >= offset || (e.duplicate && !e.delivered),
      );
    }
    const batch = this.entries.slice(0, limit);
    for (const e of batch) e.delivered = true;
    return batch.map((e) => e.update);
  }

  /** For webhook delivery: the oldest pending update. */
  peek(): Update | undefined {
    return this.entries[0]?.update;
  }

  /** Drops a webhook-acknowledged update (by identity, so duplicates are handled one by one). */
  remove(update: Update): void {
    const i = this.entries.findIndex((e) => e.update === update);
    if (i >= 0) this.entries.splice(i, 1);
  }

  clear(): void {
    this.entries = [];
  }

  private isAllowed(update: Update): boolean {
    const type = Object.keys(update).find((k) => k !== 'update_id');
    if (!type) return true;
    if (this.allowed === null || this.allowed.length === 0) return !OPT_IN_TYPES.has(type);
    return this.allowed.includes(type);
  }
}
