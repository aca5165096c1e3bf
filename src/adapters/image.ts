import sharp from 'sharp';
import { WorkRefusedError } from '../domain/billing/paid-work';

// Workers decode one image per job slot: libvips' own thread pool and cache would only compete for the two cores
// and hold memory between jobs.
sharp.concurrency(1);
sharp.cache(false);

/** The input is not an image we can safely make an avatar from; the reason is a translation key. */
export class ImageRefusedError extends WorkRefusedError {
  override readonly name = 'ImageRefusedError';
  constructor(override readonly reason: 'avatar.not_image' | 'avatar.too_large' | 'avatar.too_small') {
    super(reason);
  }
}

export interface AvatarImage {
  bytes: Buffer;
  format: 'jpeg';
  size: number;
}

/** The smallest source worth making an avatar from. */
export const MIN_SIDE = 64;

/**
 * A square avatar: upright (EXIF orientation applied), cropped around what draws attention, metadata (GPS!)
 * stripped — sharp writes none unless asked. `maxPixels` refuses decompression bombs before decoding them.
 */
export async function squareAvatar(input: Buffer, size: number, maxPixels: number): Promise<AvatarImage> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: maxPixels }).metadata();
  } catch {
    throw new ImageRefusedError('avatar.not_image');
  }
  if (!meta.width || !meta.height) throw new ImageRefusedError('avatar.not_image');
  if (meta.width * meta.height > maxPixels) throw new ImageRefusedError('avatar.too_large');
  if (Math.min(meta.width, meta.height) < MIN_SIDE) throw new ImageRefusedError('avatar.too_small');
  try {
    const bytes = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .resize(size, size, { fit: 'cover', position: sharp.strategy.attention })
      .jpeg({ quality: 85, mozjpeg: true })
      .toBuffer();
    return { bytes, format: 'jpeg', size };
  } catch {
    // A header that parsed but a body that does not (truncated, corrupt).
    throw new ImageRefusedError('avatar.not_image');
  }
}
