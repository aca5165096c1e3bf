import type { Knex } from 'knex';
import type { DialogState } from '../shared/actor';

/** The Postgres mirror of each (chat, user)'s dialog state (`dialog_states`). */
export class DialogStatesRepository {
  constructor(private readonly knex: Knex) {}

  /** Records a transition unless a later update's is already there (updates of a chat arrive in order, but jobs may not). */
  async save(botId: number, chatId: number, telegramId: number, updateId: number, state: DialogState | null): Promise<boolean> {
    const { rowCount } = await this.knex.raw(
      `INSERT INTO dialog_states (bot_id, chat_id, telegram_id, state, update_id, updated_at) VALUES (?, ?, ?, ?::jsonb, ?, now())
       ON CONFLICT (bot_id, chat_id, telegram_id) DO UPDATE SET state = excluded.state, update_id = excluded.update_id, updated_at = now()
       WHERE dialog_states.update_id < excluded.update_id`,
      [botId, chatId, telegramId, state === null ? null : JSON.stringify(state), updateId],
    );
    return (rowCount ?? 0) > 0;
  }

  /** The last state, if it changed within `maxAgeSeconds` (older ones have expired in Redis too). */
  async load(botId: number, chatId: number, telegramId: number, maxAgeSeconds: number): Promise<DialogState | null> {
    const row = await this.knex('dialog_states')
      .where({ bot_id: botId, chat_id: chatId, telegram_id: telegramId })
      .andWhere('updated_at', '>', this.knex.raw(`now() - make_interval(secs => ?)`, [maxAgeSeconds]))
      .first('state');
    return (row?.state as DialogState | null | undefined) ?? null;
  }

  /** Whether any state changed within `maxAgeSeconds`: after a Redis loss, whether there is anything to restore. */
  async anyFresh(botId: number, maxAgeSeconds: number): Promise<boolean> {
    const row = await this.knex('dialog_states').where('bot_id', botId).andWhere('updated_at', '>', this.knex.raw(`now() - make_interval(secs => ?)`, [maxAgeSeconds])).first('chat_id');
    return row !== undefined;
  }

  /** Rows whose state is older than `maxAgeSeconds`: nothing will read them again. */
  async prune(maxAgeSeconds: number): Promise<number> {
    return this.knex('dialog_states').where('updated_at', '<', this.knex.raw(`now() - make_interval(secs => ?)`, [maxAgeSeconds])).del();
  }
}
