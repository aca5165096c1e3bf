import type { Knex } from 'knex';
import type { Keyring } from '../lib/crypto';

export interface TranscriptMeta {
  id: number;
  durationSeconds: number;
  engine: string;
  language: string | null;
  cost: number;
  chars: number;
  createdAt: Date;
}

export interface NewTranscript {
  userId: number;
  requestKey: string;
  sourceUniqueId: string;
  durationSeconds: number;
  engine: string;
  language?: string;
  cost: number;
  text: string;
}

interface Row {
  id: string | number;
  request_key: string;
  duration_seconds: number;
  engine: string;
  language: string | null;
  cost: number;
  chars: number;
  key_id: string;
  text_sealed: Buffer;
  created_at: Date;
}

const toMeta = (r: Row): TranscriptMeta => ({
  id: Number(r.id), durationSeconds: r.duration_seconds, engine: r.engine, language: r.language, cost: r.cost, chars: r.chars, createdAt: r.created_at,
});

// The associated data binds a ciphertext to its row: copied into another row, it does not open.
const aad = (requestKey: string) => `transcripts:${requestKey}`;

/** Transcripts in Postgres, their text sealed with the keyring (src/lib/crypto.ts); only this class sees plaintext. */
export class TranscriptsRepository {
  constructor(
    private readonly knex: Knex,
    private readonly keyring: Keyring,
  ) {}

  /** The id of the key new values are sealed with. */
  get currentKeyId(): string {
    return this.keyring.currentId;
  }

  /** What an earlier run of the same request stored, if any. */
  async findByRequest(requestKey: string): Promise<TranscriptMeta | undefined> {
    const row = await this.knex<Row>('transcripts').where({ request_key: requestKey }).first();
    return row ? toMeta(row) : undefined;
  }

  /** Stores the transcript once per request (a twin run's row wins); returns its id. */
  async save(t: NewTranscript): Promise<number> {
    const sealed = this.keyring.seal(t.text, aad(t.requestKey));
    const inserted = await this.knex('transcripts')
      .insert({
        user_id: t.userId, request_key: t.requestKey, source_unique_id: t.sourceUniqueId, duration_seconds: t.durationSeconds,
        engine: t.engine, language: t.language ?? null, cost: t.cost, chars: t.text.length, key_id: sealed.keyId, text_sealed: sealed.data,
      })
      .onConflict('request_key')
      .ignore()
      .returning('id');
    if (inserted.length) return Number((inserted[0] as { id: string }).id);
    return (await this.findByRequest(t.requestKey))!.id;
  }

  /** The text and its metadata (for sending); `undefined` once deleted. `userId` limits it to its owner. */
  async read(id: number, userId?: number): Promise<(TranscriptMeta & { text: string }) | undefined> {
    const q = this.knex<Row>('transcripts').where('id', id);
    if (userId !== undefined) q.andWhere('user_id', userId);
    const row = await q.first();
    if (!row) return undefined;
    return { ...toMeta(row), text: this.keyring.open({ keyId: row.key_id, data: row.text_sealed }, aad(row.request_key)) };
  }

  /** The user's latest transcript of the same recording (Telegram's file_unique_id) by the same engine, if any. */
  async findBySource(userId: number, sourceUniqueId: string, engine: string): Promise<TranscriptMeta | undefined> {
    const row = await this.knex<Row>('transcripts').where('user_id', userId).andWhere('source_unique_id', sourceUniqueId).andWhere('engine', engine).orderBy('id', 'desc').first();
    return row ? toMeta(row) : undefined;
  }

  /** One of the user's transcripts (metadata only), if it exists and is theirs. */
  async get(userId: number, id: number): Promise<TranscriptMeta | undefined> {
    const row = await this.knex<Row>('transcripts').where('id', id).andWhere('user_id', userId).first();
    return row ? toMeta(row) : undefined;
  }

  /** The user's latest transcripts, newest first (metadata only). */
  async list(userId: number, limit: number): Promise<TranscriptMeta[]> {
    const rows = await this.knex<Row>('transcripts').where('user_id', userId).orderBy('id', 'desc').limit(limit);
    return rows.map(toMeta);
  }

  async delete(userId: number, id: number): Promise<boolean> {
    return (await this.knex('transcripts').where({ id, user_id: userId }).delete()) > 0;
  }

  /** How many values are sealed under an older key that ENCRYPTION_KEY still lists: the re-encryption job's work. */
  async countStale(): Promise<number> {
    const older = this.keyring.olderIds;
    if (older.length === 0) return 0;
    const row = await this.knex('transcripts').whereIn('key_id', older).count<{ count: string }[]>({ count: '*' }).first();
    return Number(row?.count ?? 0);
  }

  /**
   * Values sealed under keys ENCRYPTION_KEY does not list, by key id: unreadable until that key is added back.
   * (A key dropped too early, or a database restored next to the wrong keys.)
   */
  async unreadableByKey(): Promise<Record<string, number>> {
    const rows = await this.knex('transcripts')
      .whereNotIn('key_id', this.keyring.knownIds)
      .groupBy('key_id')
      .select('key_id')
      .count<{ key_id: string; count: string }[]>({ count: '*' });
    return Object.fromEntries(rows.map((r) => [r.key_id, Number(r.count)]));
  }

  /**
   * Re-seals up to `batch` values under older keys (still listed) with the current key, in one transaction; rows
   * another replica is re-sealing are skipped. Returns how many were re-sealed (0: none left).
   */
  async reencryptBatch(batch: number): Promise<number> {
    return this.knex.transaction(async (trx) => {
      const older = this.keyring.olderIds;
      if (older.length === 0) return 0;
      const rows = await trx<Row>('transcripts')
        .select('id', 'request_key', 'key_id', 'text_sealed')
        .whereIn('key_id', older)
        .orderBy('id')
        .limit(batch)
        .forUpdate()
        .skipLocked();
      for (const r of rows) {
        const sealed = this.keyring.seal(this.keyring.open({ keyId: r.key_id, data: r.text_sealed }, aad(r.request_key)), aad(r.request_key));
        await trx('transcripts').where({ id: r.id }).update({ key_id: sealed.keyId, text_sealed: sealed.data });
      }
      return rows.length;
    });
  }
}
