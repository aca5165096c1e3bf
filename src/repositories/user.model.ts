import { Model } from 'objection';
import type { Language } from '../shared/actor';

export type UserRole = 'user' | 'admin';
export type UserStatus = 'active' | 'blocked_bot' | 'banned';

export class UserModel extends Model {
  static override tableName = 'users';
  id!: number;
  telegram_id!: number;
  username!: string | null;
  language!: Language;
  role!: UserRole;
  status!: UserStatus;
  language_chosen!: boolean;
  notifications!: boolean;
  low_balance_notified!: boolean;
  created_at!: Date;
  updated_at!: Date;
  last_seen_at!: Date;
}

export class AuditEventModel extends Model {
  static override tableName = 'audit_events';
  static override jsonAttributes = ['details'];
  id!: number;
  actor!: string;
  action!: string;
  subject!: string | null;
  details!: Record<string, unknown>;
  idempotency_key!: string | null;
  at!: Date;
}
