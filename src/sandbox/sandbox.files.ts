import type { BotState } from './sandbox.state';
import type { FileKind, FileMeta, FileRec, Json, PhotoSize } from './sandbox.types';
import { compact, randomToken, sha256 } from './sandbox.util';

// Real file_ids start with a type-specific prefix; mimicking that makes logs look familiar.
const PREFIX: Record<FileKind, string> = {
  photo: 'AgAC', document: 'BQAC', audio: 'CQAC', voice: 'AwAC', video: 'BAAC', video_note: 'DQAC',
};
const DIR: Record<FileKind, string> = {
  photo: 'photos', document: 'documents', audio: 'music', voice: 'voice', video: 'videos', video_note: 'video_notes',
};
const DEFAULT_EXT: Record<FileKind, string> = {
  photo: 'jpg', document: 'dat', audio: 'mp3', voice: 'oga', video: 'mp4', video_note: 'mp4',
};
const DEFAULT_MIME: Partial<Record<FileKind, string>> = {
  voice: 'audio/ogg', audio: 'audio/mpeg', video: 'video/mp4', video_note: 'video/mp4', photo: 'image/jpeg',
};

/** PNG/JPEG/GIF dimensions from the header, so sendPhoto reports real sizes without an image library. */
export function imageSize(buf: Buffer): { width: number; height: number } | undefined {
  if (buf.length > 24 && buf.readUInt32BE(0) === 0x89504e47) {
    return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  if (buf.length > 10 && buf.toString('latin1', 0, 3) === 'GIF') {
    return { width: buf.readUInt16LE(6), height: buf.readUInt16LE(8) };
  }
  if (buf.length > 4 && buf[0] === 0xff && buf[1] === 0xd8) {
    let i = 2;
    while (i + 9 < buf.length && buf[i] === 0xff) {
      const marker = buf[i + 1];
      const len = buf.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: buf.readUInt16BE(i + 7), height: buf.readUInt16BE(i + 5) };
      }
      i += 2 + len;
    }
  }
  return undefined;
}

/** An image's content type from its first bytes (a bot may send a PNG as a photo), or undefined. */
export function imageMime(buf: Buffer): string | undefined {
  if (buf.length > 8 && buf.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (buf.length > 3 && buf[0] === 0xff && buf[1] === 0xd8) return 'image/jpeg';
  if (buf.length > 6 && buf.toString('latin1', 0, 3) === 'GIF') return 'image/gif';
  if (buf.length > 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Stores bytes as a new file of this bot. file_id is random; file_unique_id depends on content only. */
export function registerFile(bot: BotState, kind: FileKind, bytes: Buffer, meta: FileMeta = {}): FileRec {
  const dims = kind === 'photo' ? imageSize(bytes) : undefined;
  const rec: FileRec = compact({
    file_id: PREFIX[kind] + randomToken(42),
    file_unique_id: 'AQAD' + sha256(bytes).toString('base64url').slice(0, 14),
    kind,
    bytes,
    size: Math.max(bytes.length, meta.declared_size ?? 0),
    file_name: meta.file_name,
    mime_type: meta.mime_type ?? DEFAULT_MIME[kind],
    width: meta.width ?? dims?.width ?? (kind === 'photo' ? 800 : undefined),
    height: meta.height ?? dims?.height ?? (kind === 'photo' ? 600 : undefined),
    duration: meta.duration,
    length: meta.length,
  });
  bot.files.set(rec.file_id, rec);
  return rec;
}

/** Telegram-like relative path, assigned on the first getFile. */
export function assignPath(bot: BotState, rec: FileRec): string {
  if (!rec.file_path) {
    const ext = /\.([A-Za-z0-9]{1,8})$/.exec(rec.file_name ?? '')?.[1] ?? DEFAULT_EXT[rec.kind];
    rec.file_path = `${DIR[rec.kind]}/file_${bot.fileCounter++}.${ext}`;
    bot.filesByPath.set(rec.file_path, rec);
  }
  return rec.file_path;
}

/** The Message field for a file (photo is an array of PhotoSize), with per-send overrides. */
export function describeFile(rec: FileRec, over: FileMeta & { performer?: string; title?: string } = {}): Json | PhotoSize[] {
  const base = { file_id: rec.file_id, file_unique_id: rec.file_unique_id };
  const duration = over.duration ?? rec.duration ?? 0;
  switch (rec.kind) {
    case 'photo':
      return [{ ...base, width: rec.width ?? 800, height: rec.height ?? 600, file_size: rec.size }];
    case 'document':
      return compact({ ...base, file_name: rec.file_name, mime_type: rec.mime_type, file_size: rec.size });
    case 'audio':
      return compact({
        ...base, duration, performer: over.performer, title: over.title,
        file_name: rec.file_name, mime_type: rec.mime_type, file_size: rec.size,
      });
    case 'voice':
      return compact({ ...base, duration, mime_type: rec.mime_type, file_size: rec.size });
    case 'video':
      return compact({
        ...base, width: over.width ?? rec.width ?? 640, height: over.height ?? rec.height ?? 360, duration,
        file_name: rec.file_name, mime_type: rec.mime_type, file_size: rec.size,
      });
    case 'video_note':
      return compact({ ...base, length: over.length ?? rec.length ?? 240, duration, file_size: rec.size });
  }
}
