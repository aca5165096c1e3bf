import type { Knex } from 'knex';
import { runStatement } from '../db/statements';
import { languageFromCode, type Actor, type Language } from '../shared/actor';
import { UserModel, type UserStatus } from './user.model';

export interface EnsuredUser {
  user: UserModel;
  created: boolean;
  /** The user's coins as the statement saw them (0 before the first posting). */
  balance: number;
}

/**
 * What ensure returns, named: a prepared statement must not return `*` (a migration that adds a column would
 * change its result type under running workers).
 */
const USER_COLUMNS = 'id, telegram_id, username, language, role, status, created_at, updated_at, last_seen_at, language_chosen, notifications, low_balance_notified';

export class UsersRepository {
  constructor(private readonly knex: Knex) {}

  /**
   * Registers the actor on first contact, or refreshes username and last-seen. A user who had blocked the bot and
   * writes again is active again; a banned user stays banned. The language follows Telegram's language_code until
   * the user picks one in /settings. The role mirrors ADMIN_IDS (`admin`) at each contact, so an id taken off the
   * list reads `user` again (the right itself is ADMIN_IDS alone, see isAdmin). One statement, safe under concurrency.
   */
  async ensure(actor: Actor, admin = false): Promise<EnsuredUser> {
    // Before every job: prepared (planned once per connection), and it brings the balance along, so a job that
    // shows it (/balance, the cabinet) needs no statement of its own.
    const rows = await runStatement<UserModel & { inserted: boolean; coins: number }>(
      this.knex,
      `INSERT INTO users (telegram_id, username, language, role)
       VALUES (?, ?, ?, ?)
       ON CONFLICT (telegram_id) DO UPDATE SET
         username = EXCLUDED.username,
         last_seen_at = now(),
         updated_at = now(),
         role = EXCLUDED.role,
         language = CASE WHEN users.language_chosen OR ?::boolean IS FALSE THEN users.language ELSE EXCLUDED.language END,
         status = CASE WHEN users.status = 'blocked_bot' THEN 'active' ELSE users.status END
       RETURNING ${USER_COLUMNS}, (xmax = 0) AS inserted, COALESCE((SELECT b.coins FROM balances b WHERE b.user_id = users.id), 0) AS coins`,
      [actor.telegramId, actor.username ?? null, languageFromCode(actor.languageCode), admin ? 'admin' : 'user', actor.languageCode !== undefined],
    );
    const { inserted, coins, ...row } = rows[0]!;
    return { user: UserModel.fromJson(row, { skipValidation: true }), created: inserted, balance: Number(coins) };
  }

  async findById(id: number): Promise<UserModel | undefined> {
    return await UserModel.query(this.knex).findById(id);
  }

  async findByTelegramId(telegramId: number): Promise<UserModel | undefined> {
    return await UserModel.query(this.knex).findOne({ telegram_id: telegramId });
  }

  /** /settings: the language (from now on it no longer follows Telegram's) or the notifications switch. */
  async updateSettings(userId: number, change: { language: Language } | { notifications: boolean }): Promise<UserModel> {
    const patch = 'language' in change ? { language: change.language, language_chosen: true } : { notifications: change.notifications };
    return await UserModel.query(this.knex).patchAndFetchById(userId, { ...patch, updated_at: new Date() });
  }

  /**
   * A 403 from Telegram: the user blocked the bot. Only an active user becomes `blocked_bot` (which the next contact
   * turns back to `active`): a banned user stays banned. True if the row changed.
   */
  async markBlocked(telegramId: number): Promise<boolean> {
    const n = await UserModel.query(this.knex).patch({ status: 'blocked_bot', updated_at: new Date() }).where({ telegram_id: telegramId, status: 'active' });
    return n > 0;
  }

  async setStatus(telegramId: number, status: UserStatus): Promise<boolean> {
    const n = await UserModel.query(this.knex).patch({ status, updated_at: new Date() }).where({ telegram_id: telegramId });
    return n > 0;
  }

  /** A page of active users' Telegram ids who have notifications on (a broadcast's audience) after `cursor` (keyset pagination: stable while users are added). */
  async activeIdsAfter(cursor: number, limit: number): Promise<number[]> {
    const rows = await this.knex('users')
      .select('telegram_id')
      .where({ status: 'active', notifications: true })
      .andWhere('telegram_id', '>', cursor)
      .orderBy('telegram_id')
      .limit(limit);
    return rows.map((r: { telegram_id: number }) => r.telegram_id);
  }

  async countByStatus(): Promise<Record<UserStatus, number>> {
    const rows = (await UserModel.query(this.knex).select('status').count('* as n').groupBy('status')) as unknown as { status: UserStatus; n: number }[];
    const out: Record<UserStatus, number> = { active: 0, blocked_bot: 0, banned: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  /** Language to talk to a chat in: the user's setting when we know them, else English. */
  async languageOf(telegramId: number): Promise<Language> {
    const row = await UserModel.query(this.knex).select('language').findOne({ telegram_id: telegramId });
    return row?.language ?? 'en';
  }
}
