import type { Knex } from 'knex';

/** Send receipts: what Telegram has already accepted for a notification, part by part. */
export class ReceiptsRepository {
  constructor(private readonly knex: Knex) {}

  async sentParts(notificationKey: string): Promise<Set<number>> {
    const rows = await this.knex('message_receipts').select('part').where({ notification_key: notificationKey });
    return new Set(rows.map((r: { part: number }) => r.part));
  }

  /** The Telegram message id of a delivered part, if it was delivered. */
  async messageId(notificationKey: string, part = 0): Promise<number | undefined> {
    const row = await this.knex('message_receipts').select('telegram_message_id').where({ notification_key: notificationKey, part }).first();
    return row?.telegram_message_id;
  }

  /**
   * Deletes receipts sent before `before`, oldest first through the `sent_at` index, `batch` rows per statement
   * (short locks, short WAL bursts) until none is left. Returns how many went.
   */
  async prune(before: Date, batch = 10_000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.knex.raw(
        'DELETE FROM message_receipts WHERE ctid IN (SELECT ctid FROM message_receipts WHERE sent_at < ? ORDER BY sent_at LIMIT ?)',
        [before, batch],
      );
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) return deleted;
    }
  }

  async record(notificationKey: string, part: number, chatId: number, telegramMessageId: number): Promise<void> {
    await this.knex('message_receipts')
      .insert({ notification_key: notificationKey, part, chat_id: chatId, telegram_message_id: telegramMessageId })
      .onConflict(['notification_key', 'part'])
      .ignore();
  }
}
