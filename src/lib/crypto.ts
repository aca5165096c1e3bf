import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** An encrypted value as stored: which key sealed it, and nonce ‖ tag ‖ ciphertext. */
export interface Sealed {
  keyId: string;
  data: Buffer;
}

/** A stored value that cannot be opened: no retry can fix it (the runner fails such a job at once). */
export class UnreadableValueError extends Error {
  override readonly name: string = 'UnreadableValueError';
}

/** A value sealed with a key this process was not given (ENCRYPTION_KEY lacks it): name the key, never the value. */
export class UnknownKeyError extends UnreadableValueError {
  override readonly name = 'UnknownKeyError';
  constructor(readonly keyId: string) {
    super(`the value is encrypted with key ${keyId}, which is not in ENCRYPTION_KEY (add it back after the new key until the re-encryption job has run)`);
  }
}

const NONCE = 12;
const TAG = 16;

/**
 * Development and test only, when ENCRYPTION_KEY is unset: a fixed, public key, so `npm start` works on a fresh
 * machine. Production refuses to start without ENCRYPTION_KEY (src/config.ts). Rows sealed with this key carry its
 * id; to keep development data under a real key, list `ENCRYPTION_KEY=<real>,<this key in base64>` once so the
 * re-encryption job moves them.
 */
export const DEVELOPMENT_KEY = createHash('sha256').update('switchyard development key (not secret)').digest();

/** A key's id: the first 8 hex digits of its SHA-256, so a bare key needs no name and rotation is "put the new one first". */
export const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

/**
 * AES-256-GCM with a key id stored beside each value (docs/TRANSCRIPTS.md, "Encryption at rest"). The first key
 * seals; every key opens. `aad` binds a value to its row (e.g. `transcripts:<request key>`): a ciphertext copied
 * into another row does not open.
 */
export class Keyring {
  private readonly keys: Map<string, Buffer>;
  readonly currentId: string;

  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error('a keyring needs at least one key');
    for (const k of keys) if (k.length !== 32) throw new Error('AES-256 keys are 32 bytes');
    this.keys = new Map(keys.map((k) => [keyIdOf(k), k]));
    this.currentId = keyIdOf(keys[0]!);
  }

  /** The keyring from the configuration (the development key when ENCRYPTION_KEY is unset outside production). */
  static fromConfig(config: { ENCRYPTION_KEY?: Buffer[] }): Keyring {
    return new Keyring(config.ENCRYPTION_KEY ?? [DEVELOPMENT_KEY]);
  }

  /** Ids of the keys that open but no longer seal: values under them are re-encrypted after a rotation. */
  get olderIds(): string[] {
    return [...this.keys.keys()].filter((id) => id !== this.currentId);
  }

  /** Ids of every key given. */
  get knownIds(): string[] {
    return [...this.keys.keys()];
  }

  seal(plaintext: string, aad: string): Sealed {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, nonce);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.currentId, data: Buffer.concat([nonce, cipher.getAuthTag(), body]) };
  }

  /** Throws UnknownKeyError for a key not given, and UnreadableValueError for a tampered or moved value. */
  open(sealed: Sealed, aad: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new UnknownKeyError(sealed.keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.data.subarray(0, NONCE));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(sealed.data.subarray(NONCE, NONCE + TAG));
      return Buffer.concat([decipher.update(sealed.data.subarray(NONCE + TAG)), decipher.final()]).toString('utf8');
    } catch {
      throw new UnreadableValueError(`a value sealed with key ${sealed.keyId} does not authenticate: it was altered, truncated or copied from another row`);
    }
  }
}
