import sharp from 'sharp';
import { AVATAR_SIZES, fallbackFormat, type AvatarFormat, type AvatarStyle } from '../shared/avatar-styles';

// Deliberate, for worker memory: each job slot decodes one image on one libvips thread (the worker's concurrency is
// the parallelism, and the two cores are shared with everything else), and libvips keeps no operation cache
// between jobs, so memory falls back after each image. Measured in docs/BENCHMARKS.md (peak RSS, four 20 MP images).
sharp.concurrency(1);
sharp.cache(false);

/** Why an input cannot become an avatar: each is a translation key the user reads. */
export const IMAGE_REFUSALS = [
  'avatar.not_image',
  'avatar.unsupported',
  'avatar.corrupt',
  'avatar.too_large',
  'avatar.too_small',
  'avatar.animated',
  'avatar.svg',
] as const;
export type ImageRefusal = (typeof IMAGE_REFUSALS)[number];

/**
 * The input is not an image we can safely make an avatar from; the reason is a translation key. The avatar handler
 * turns it into the paid work's refusal (src/domain/billing/paid-work.ts): coins released, no retry, the user told.
 */
export class ImageRefusedError extends Error {
  override readonly name = 'ImageRefusedError';
  constructor(readonly reason: ImageRefusal) {
    super(reason);
  }
}

/** The smallest source worth making an avatar from. */
export const MIN_SIDE = 64;

export interface AvatarVariant {
  size: number;
  format: AvatarFormat;
  bytes: Buffer;
}

/** What the first bytes say a file is. Decides what sharp is allowed to see at all. */
export type Sniffed = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heic' | 'bmp' | 'ico' | 'psd' | 'jxl' | 'svg' | 'unknown';

/** Formats sharp decodes here from a buffer (its prebuilt libvips: no HEVC, no ImageMagick). */
const DECODABLE = new Set<Sniffed>(['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif']);
/** Images we recognise but cannot read: the user is told which formats work. */
const RECOGNISED = new Set<Sniffed>(['heic', 'bmp', 'ico', 'psd', 'jxl']);

/** Identifies an image by its magic bytes (never by the name or the MIME type the client sent). */
export function sniff(buf: Buffer): Sniffed {
  const ascii = (from: number, to: number) => buf.toString('latin1', from, to);
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47 && buf.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (/^(heic|heix|hevc|hevx|mif1|msf1)$/.test(brand)) return 'heic';
    return 'unknown'; // MP4, MOV, 3GP…: a video
  }
  if (ascii(0, 2) === 'BM') return 'bmp';
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x00000100) return 'ico';
  if (ascii(0, 4) === '8BPS') return 'psd';
  if ((buf[0] === 0xff && buf[1] === 0x0a) || ascii(4, 8) === 'JXL ') return 'jxl';
  // SVG is XML text: scripts, external references and entity expansion live there. It never reaches sharp.
  const head = ascii(0, 1024).replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (head.startsWith('<') && /<svg[\s>]/i.test(head)) return 'svg';
  return 'unknown';
}

/**
 * Checks an input before decoding any pixel: its format by magic bytes, then the header (sharp reads dimensions
 * and frame count without decoding). Refuses what cannot or must not become an avatar.
 */
export async function inspect(input: Buffer, maxPixels: number): Promise<{ format: Sniffed; width: number; height: number }> {
  const format = sniff(input);
  if (format === 'svg') throw new ImageRefusedError('avatar.svg');
  if (RECOGNISED.has(format)) throw new ImageRefusedError('avatar.unsupported');
  if (!DECODABLE.has(format)) throw new ImageRefusedError('avatar.not_image');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: maxPixels, animated: true }).metadata();
  } catch (err) {
    // sharp checks the header's dimensions against limitInputPixels already here.
    throw new ImageRefusedError(/pixel limit/i.test(String((err as Error)?.message)) ? 'avatar.too_large' : 'avatar.corrupt');
  }
  const width = meta.width ?? 0;
  const height = (meta.pageHeight ?? meta.height) || 0;
  if (!width || !height) throw new ImageRefusedError('avatar.corrupt');
  // A decompression bomb (20,000 × 20,000 of one colour is a few kB of PNG) is refused here, from its header.
  if (width * height > maxPixels) throw new ImageRefusedError('avatar.too_large');
  if ((meta.pages ?? 1) > 1) throw new ImageRefusedError('avatar.animated');
  if (Math.min(width, height) < MIN_SIDE) throw new ImageRefusedError('avatar.too_small');
  return { format, width, height };
}

/** An anti-aliased disc as an alpha mask, size × size × 1 (made once per size). */
const discs = new Map<number, Buffer>();
function disc(size: number): Buffer {
  let mask = discs.get(size);
  if (!mask) {
    mask = Buffer.alloc(size * size);
    const r = size / 2;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const d = Math.hypot(x + 0.5 - r, y + 0.5 - r);
        mask[y * size + x] = Math.round(255 * Math.min(1, Math.max(0, r - d + 0.5)));
      }
    }
    discs.set(size, mask);
  }
  return mask;
}

/**
 * The avatar at its largest size, as raw pixels: upright (EXIF orientation applied), cropped square around what
 * draws attention, styled. Pixels only: no metadata (EXIF, GPS, XMP, ICC) survives into what is encoded from it.
 */
async function master(input: Buffer, style: AvatarStyle, size: number, maxPixels: number): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  let image = sharp(input, { limitInputPixels: maxPixels, failOn: 'warning' })
    .rotate()
    .resize(size, size, { fit: 'cover', position: sharp.strategy.attention });
  if (style === 'gray') image = image.grayscale();
  if (style === 'circle') {
    // A second pipeline: the composite must apply to the cropped square, not to the source.
    const square = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    image = sharp(square.data, { raw: { width: size, height: size, channels: square.info.channels } }).joinChannel(disc(size), {
      raw: { width: size, height: size, channels: 1 },
    });
  }
  return image.raw().toBuffer({ resolveWithObject: true });
}

/**
 * A whole avatar set from a checked input: every size in WebP and in the fallback format. The largest is made from
 * the source; the smaller ones from it, so the source is decoded once.
 */
export async function renderAvatar(input: Buffer, style: AvatarStyle, maxPixels: number): Promise<AvatarVariant[]> {
  await inspect(input, maxPixels);
  let largest;
  try {
    largest = await master(input, style, AVATAR_SIZES[0], maxPixels);
  } catch {
    // A header that parsed but a body that does not (truncated, corrupt).
    throw new ImageRefusedError('avatar.corrupt');
  }
  const { data, info } = largest;
  const fallback = fallbackFormat(style);
  const variants = await Promise.all(
    AVATAR_SIZES.flatMap((size) => {
      const scaled = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).resize(size, size);
      return [
        scaled().webp({ quality: 85, alphaQuality: 90 }).toBuffer().then((bytes) => ({ size, format: 'webp' as const, bytes })),
        (fallback === 'png' ? scaled().png({ compressionLevel: 6 }) : scaled().jpeg({ quality: 88, mozjpeg: true }))
          .toBuffer()
          .then((bytes) => ({ size, format: fallback, bytes })),
      ];
    }),
  );
  return variants;
}
