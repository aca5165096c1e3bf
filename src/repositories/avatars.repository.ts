import type { Knex } from 'knex';

export interface StoredAvatar {
  id: number;
  bytes: Buffer;
  format: string;
}

/** Avatars' bytes in Postgres (bytea): any worker replica can send any avatar. */
export class AvatarsRepository {
  constructor(private readonly knex: Knex) {}

  /** Stores a made avatar, or returns the one made before from the same photo in the same style and size. */
  async save(a: { userId: number; sourceUniqueId: string; style: string; size: number; format: string; bytes: Buffer }): Promise<number> {
    const { rows } = await this.knex.raw<{ rows: { id: number }[] }>(
      `INSERT INTO avatars (user_id, source_unique_id, style, size, format, bytes) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, source_unique_id, style, size) DO UPDATE SET user_id = EXCLUDED.user_id
       RETURNING id`,
      [a.userId, a.sourceUniqueId, a.style, a.size, a.format, a.bytes],
    );
    return Number(rows[0]!.id);
  }

  async find(id: number): Promise<StoredAvatar | undefined> {
    const row = await this.knex('avatars').select('id', 'bytes', 'format').where({ id }).first();
    return row ? { id: Number(row.id), bytes: row.bytes as Buffer, format: row.format } : undefined;
  }
}
