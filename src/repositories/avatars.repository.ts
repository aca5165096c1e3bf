import type { Knex } from 'knex';
import type { AvatarVariant } from '../adapters/image';
import type { AvatarFormat, AvatarStyle } from '../shared/avatar-styles';

export interface AvatarSet {
  id: number;
  style: AvatarStyle;
  current: boolean;
  createdAt: Date;
}

export interface StoredVariant {
  setId: number;
  style: AvatarStyle;
  size: number;
  format: AvatarFormat;
  bytes: Buffer;
}

const toSet = (r: { id: string | number; style: AvatarStyle; current: boolean; created_at: Date }): AvatarSet => ({
  id: Number(r.id), style: r.style, current: r.current, createdAt: r.created_at,
});

/**
 * Avatar sets and their variants' bytes in Postgres (bytea): any worker replica can send any avatar. A set is one
 * source photo (Telegram's file_unique_id) in one style, made once per user; deleting it deletes its bytes.
 */
export class AvatarsRepository {
  constructor(private readonly knex: Knex) {}

  /** The set made earlier from the same photo in the same style, if any. */
  async findSet(userId: number, sourceUniqueId: string, style: AvatarStyle): Promise<AvatarSet | undefined> {
    const row = await this.knex('avatar_sets').where({ user_id: userId, source_unique_id: sourceUniqueId, style }).first();
    return row ? toSet(row) : undefined;
  }

  /**
   * Stores a made set with its variants in one statement (one round trip: the set row and its six variants commit
   * together), or returns the set a twin run stored first (the unique key decides; its variants are complete, since
   * they were committed with it).
   */
  async saveSet(a: { userId: number; sourceUniqueId: string; style: AvatarStyle; variants: AvatarVariant[] }): Promise<{ id: number; created: boolean }> {
    const values = a.variants.map(() => '(?::int, ?::text, ?::bytea)').join(', ');
    const { rows } = await this.knex.raw<{ rows: { id: string }[] }>(
      `WITH s AS (
         INSERT INTO avatar_sets (user_id, source_unique_id, style) VALUES (?, ?, ?)
         ON CONFLICT (user_id, source_unique_id, style) DO NOTHING RETURNING id
       ), v AS (
         INSERT INTO avatar_variants (set_id, size, format, bytes) SELECT s.id, v.* FROM s, (VALUES ${values}) AS v(size, format, bytes)
       )
       SELECT id FROM s`,
      [a.userId, a.sourceUniqueId, a.style, ...a.variants.flatMap((v) => [v.size, v.format, v.bytes])],
    );
    if (rows.length > 0) return { id: Number(rows[0]!.id), created: true };
    const existing = await this.knex('avatar_sets').where({ user_id: a.userId, source_unique_id: a.sourceUniqueId, style: a.style }).first('id');
    return { id: Number(existing.id), created: false };
  }

  /**
   * One variant's bytes — the WebP, or its JPEG/PNG twin — and its set's style; undefined once the set is deleted.
   * A set from before variants (one 512 px JPEG, migrated) gives the nearest it has: the format asked for first,
   * then the size, then the largest.
   */
  async variant(setId: number, size: number, kind: 'webp' | 'fallback'): Promise<StoredVariant | undefined> {
    const row = await this.knex('avatar_variants as v')
      .join('avatar_sets as s', 's.id', 'v.set_id')
      .where('v.set_id', setId)
      .orderByRaw(`(v.format ${kind === 'webp' ? '=' : '<>'} 'webp') DESC, (v.size = ?) DESC, v.size DESC`, [size])
      .first('v.bytes', 'v.format', 'v.size', 's.style');
    return row ? { setId, style: row.style, size: Number(row.size), format: row.format, bytes: row.bytes as Buffer } : undefined;
  }

  /** A user's sets, the current one first, then newest first. */
  async list(userId: number, limit: number): Promise<AvatarSet[]> {
    const rows = await this.knex('avatar_sets').where({ user_id: userId }).orderBy([{ column: 'current', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit);
    return rows.map(toSet);
  }

  /** Makes one of the user's sets their current avatar (and no other). False when it is not theirs or is gone. */
  async makeCurrent(userId: number, setId: number): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      // All the user's sets are locked: two "make current" at once must not both find no other current one.
      const sets = await trx('avatar_sets').where({ user_id: userId }).forUpdate().pluck('id');
      if (!sets.map(Number).includes(setId)) return false;
      await trx('avatar_sets').where({ user_id: userId, current: true }).whereNot({ id: setId }).update({ current: false });
      await trx('avatar_sets').where({ id: setId }).update({ current: true });
      return true;
    });
  }

  /** Deletes one of the user's sets and, by cascade, every variant's bytes. False when it is not theirs or is gone. */
  async delete(userId: number, setId: number): Promise<boolean> {
    return (await this.knex('avatar_sets').where({ id: setId, user_id: userId }).delete()) > 0;
  }
}
