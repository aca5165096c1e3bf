import type { Config } from '../../config';
import type { Actor } from '../../jobs/payloads';

/**
 * An admin is an id in ADMIN_IDS, and nothing else: removing an id (and restarting) takes the right away at once.
 * `users.role` mirrors the list at each contact, for queries; it grants nothing. Only workers check (the bot sees no
 * configuration of admins).
 */
export function isAdmin(config: Pick<Config, 'ADMIN_IDS'>, actor: Actor): boolean {
  return config.ADMIN_IDS.includes(actor.telegramId);
}
