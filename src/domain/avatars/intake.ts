import type { ImageRefusal } from '../../adapters/image';

/** Telegram lets bots download files up to 20 MB. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

/** What the user's client declared about a photo or file (nothing of it is trusted past this first sorting). */
export interface DeclaredSource {
  kind: 'photo' | 'document';
  fileSize?: number;
  width?: number;
  height?: number;
  mimeType?: string;
  fileName?: string;
  animated?: boolean;
}

/** Image types we can tell from the declaration alone that we cannot read (the bytes are sniffed again later). */
const UNSUPPORTED_MIME = /^image\/(bmp|x-bmp|x-ms-bmp|heic|heif|x-icon|vnd\.microsoft\.icon|vnd\.adobe\.photoshop|jxl|x-portable-\w+)$/;

/**
 * Sorts a source by what Telegram told us, before anything is held or downloaded: the refusal the user gets at
 * once, or undefined when it may be an image (then the worker decides from the bytes themselves).
 */
export function declaredRefusal(src: DeclaredSource, maxPixels: number): ImageRefusal | undefined {
  const mime = src.mimeType?.toLowerCase();
  if (src.animated || mime?.startsWith('video/')) return 'avatar.animated';
  if (mime === 'image/svg+xml' || /\.svgz?$/i.test(src.fileName ?? '')) return 'avatar.svg';
  if (src.kind === 'document' && mime && !mime.startsWith('image/') && mime !== 'application/octet-stream') return 'avatar.not_image';
  if (mime && UNSUPPORTED_MIME.test(mime)) return 'avatar.unsupported';
  if ((src.fileSize ?? 0) > MAX_DOWNLOAD_BYTES || (src.width ?? 0) * (src.height ?? 0) > maxPixels) return 'avatar.too_large';
  return undefined;
}
