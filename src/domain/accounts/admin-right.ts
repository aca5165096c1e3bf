import type { Config } from '../../config';
import type { Actor } from '../../jobs/payloads';
import type { UserModel } from '../../repositories/user.model';

/** An admin is listed in ADMIN_IDS or has the role admin in `users`. Only workers can tell: the bot sees no roles. */
export function isAdmin(config: Pick<Config, 'ADMIN_IDS'>, actor: Actor, user: UserModel | undefined): boolean {
  return config.ADMIN_IDS.includes(actor.telegramId) || user?.role === 'admin';
}
