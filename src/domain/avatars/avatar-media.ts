import type { InlineKeyboardMarkup, Message, TelegramClient } from '../../adapters/telegram.client';
import type { AvatarsRepository, StoredVariant } from '../../repositories/avatars.repository';

interface AvatarFile {
  bytes: Buffer;
  filename: string;
  caption?: string;
}

/** What a `message.send` of stored avatars puts on the wire. */
export type AvatarMedia = { kind: 'photo' | 'document'; file: AvatarFile } | { kind: 'album'; files: AvatarFile[] };

export interface AvatarMediaRequest {
  photo?: { avatarId: number; size: number };
  document?: { avatarId: number };
  album?: Array<{ avatarId: number; caption?: string }>;
}

const EXT = { jpeg: 'jpg', png: 'png', webp: 'webp' } as const;
const file = (v: StoredVariant, caption?: string): AvatarFile => ({
  bytes: v.bytes, filename: `avatar-${v.setId}-${v.style}-${v.size}.${EXT[v.format]}`, caption,
});

/**
 * Loads the bytes a message of stored avatars sends: a photo is the JPEG/PNG variant (Telegram recompresses
 * photos anyway), a document the 512 px WebP (full quality, transparency kept), an album the 128 px thumbnails.
 * `undefined`: the message has no avatar; `null`: its avatars were deleted before its turn came.
 */
export async function loadAvatarMedia(avatars: AvatarsRepository, req: AvatarMediaRequest): Promise<AvatarMedia | null | undefined> {
  if (req.photo) {
    const v = await avatars.variant(req.photo.avatarId, req.photo.size, 'fallback');
    return v ? { kind: 'photo', file: file(v) } : null;
  }
  if (req.document) {
    const v = await avatars.variant(req.document.avatarId, 512, 'webp');
    return v ? { kind: 'document', file: file(v) } : null;
  }
  if (req.album) {
    const found = await Promise.all(req.album.map(async (a) => [await avatars.variant(a.avatarId, 128, 'fallback'), a.caption] as const));
    const files = found.flatMap(([v, caption]) => (v ? [file(v, caption)] : []));
    // Deleted meanwhile: what is left still goes, as one photo if only one is.
    if (files.length === 0) return null;
    return files.length === 1 ? { kind: 'photo', file: files[0]! } : { kind: 'album', files };
  }
  return undefined;
}

/** Sends loaded avatar media; the message id returned is the first of an album (albums take no buttons). */
export async function sendAvatarMedia(
  telegram: TelegramClient,
  chatId: number,
  media: AvatarMedia,
  caption: string,
  replyMarkup: InlineKeyboardMarkup | undefined,
): Promise<Pick<Message, 'message_id'>> {
  if (media.kind === 'album') return (await telegram.sendMediaGroup(chatId, media.files))[0]!;
  const options = { filename: media.file.filename, caption: (caption || media.file.caption)?.slice(0, 1024) || undefined, replyMarkup };
  return media.kind === 'photo' ? telegram.sendPhoto(chatId, media.file.bytes, options) : telegram.sendDocument(chatId, media.file.bytes, options);
}
