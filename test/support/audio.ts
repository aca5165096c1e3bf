import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's pocketsphinx-testdata: a man saying "go forward ten meters", 16 kHz s16le mono, 2.79 s. */
export const GO_FORWARD_RAW = '/usr/share/pocketsphinx/test/data/goforward.raw';
export const GO_FORWARD_TEXT = 'go forward ten meters';

/** Runs ffmpeg with `args` (its output goes to `out` in a scratch folder) and returns the bytes. */
function ffmpeg(args: string[], out: string): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-test-audio-'));
  try {
    execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-v', 'error', '-y', ...args, path.join(dir, out)]);
    return readFileSync(path.join(dir, out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cache = new Map<string, Buffer>();
const once = (key: string, make: () => Buffer) => cache.get(key) ?? (cache.set(key, make()), cache.get(key)!);

/** The recording as a Telegram voice message is: OGG/Opus. */
export const goForwardOgg = () => once('ogg', () => ffmpeg(['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', GO_FORWARD_RAW, '-c:a', 'libopus', '-b:a', '32k'], 'voice.ogg'));

/** The recording `times` times with a second of silence between: a longer file (benchmarks). */
export const goForwardRepeated = (times: number, format: 'ogg' | 'wav' = 'ogg') =>
  once(`rep-${times}-${format}`, () =>
    ffmpeg([
      ...Array.from({ length: times }, () => ['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', GO_FORWARD_RAW]).flat(),
      '-filter_complex', `${Array.from({ length: times }, (_, i) => `[${i}:a]apad=pad_dur=1[a${i}];`).join('')}${Array.from({ length: times }, (_, i) => `[a${i}]`).join('')}concat=n=${times}:v=0:a=1`,
      ...(format === 'ogg' ? ['-c:a', 'libopus', '-b:a', '32k'] : ['-ac', '1', '-ar', '16000', '-map_metadata', '-1', '-bitexact', '-c:a', 'pcm_s16le']),
    ], `rep.${format}`),
  );

/** `seconds` of silence as OGG/Opus: audio with no speech in it. */
export const silenceOgg = (seconds: number) => once(`silence-${seconds}`, () => ffmpeg(['-f', 'lavfi', '-i', `anullsrc=r=16000:cl=mono`, '-t', String(seconds), '-c:a', 'libopus'], 'silence.ogg'));

/** A real OGG's first pages followed by noise: the container starts right, the stream is damaged. */
export const corruptOgg = () => Buffer.concat([goForwardOgg().subarray(0, 200), Buffer.alloc(20_000, 0x5a)]);

/** A one-second silent video with no audio track (MP4): a video note without sound. */
export const silentVideoMp4 = () => once('mp4', () => ffmpeg(['-f', 'lavfi', '-i', 'color=c=blue:s=64x64:d=1', '-c:v', 'mpeg4'], 'video.mp4'));

/** A PDF: not audio at all. */
export const pdf = () => Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
