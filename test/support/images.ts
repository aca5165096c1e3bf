import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * Test images, made here rather than shipped. `upright` means: as a viewer shows it (after the EXIF orientation),
 * the top half is red and the bottom half blue — a rotation bug shows as red on the left or right instead.
 */
export async function rotatedCameraJpeg(width = 3000, height = 2000): Promise<Buffer> {
  // Stored pixels: left half red, right half blue. Orientation 6 tells viewers to turn it 90° clockwise, which
  // brings the left half to the top.
  const half = Math.floor(width / 2);
  const left = await sharp({ create: { width: half, height, channels: 3, background: '#ff0000' } }).png().toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#0000ff' } })
    .composite([{ input: left, left: 0, top: 0 }])
    .withExif({ IFD0: { Copyright: 'Camera owner' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '55/1 45/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '37/1 37/1 0/1' } })
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A plain photo of one colour (different colours are different files, so different Telegram file ids). */
export const plainJpeg = (width: number, height: number, background = '#3366cc') =>
  sharp({ create: { width, height, channels: 3, background } }).jpeg().toBuffer();

/** A JPEG whose entropy-coded data is scrambled after the headers: it parses, it does not decode. */
export async function corruptJpeg(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
  const bytes = Buffer.from(jpeg);
  for (let i = 700; i < bytes.length - 2; i += 7) bytes[i] = (bytes[i]! * 31 + 17) & 0xff;
  return bytes;
}

/** The first half of a real PNG: the header is intact, the pixel data ends early. */
export async function truncatedPng(): Promise<Buffer> {
  const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
  return png.subarray(0, Math.floor(png.length / 2));
}

/** Two frames: an animated GIF. */
export async function animatedGif(): Promise<Buffer> {
  const frame = (background: string) => sharp({ create: { width: 200, height: 200, channels: 3, background } }).png().toBuffer();
  return sharp([await frame('#0000ff'), await frame('#ff0000')], { join: { animated: true } }).gif().toBuffer();
}

const crc32 = (() => {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  return (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
})();

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a valid 20,000 × 20,000 PNG of one colour (400 megapixels, ~1.2 GB once decoded to RGB)
 * in about 60 kB. Written by hand: sharp itself needs ~20 s and 2 GB to encode one, which is the point.
 */
export function pngBomb(side = 20_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.writeUInt8(1, 8); // bit depth 1
  ihdr.writeUInt8(0, 9); // greyscale
  const row = Buffer.alloc(1 + Math.ceil(side / 8)); // filter byte 0, then black pixels
  const raw = Buffer.alloc(row.length * side); // zeros: every row is `row`
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real (if tiny) Windows bitmap: an image format sharp's libvips cannot read. */
export function bmp(width = 100, height = 100): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + rowBytes * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, Buffer.alloc(rowBytes * height, 0x80)]);
}

export const svg = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><script>alert(1)</script>' +
    '<image href="http://example.invalid/x.png" width="256" height="256"/></svg>',
);

/** The colour of one pixel, as [r, g, b, a?]. */
export async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + info.channels)];
}
