import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiError } from './sandbox.util';

/**
 * What the web chat's recordings need before they reach the bot as a Telegram-like voice message: browsers record
 * WebM/Opus (Chromium) or OGG (Firefox), Telegram's voice messages are OGG/Opus, mono, 48 kHz, with a duration.
 * ffmpeg and ffprobe run as child processes with a timeout; a missing ffmpeg is an error the page can show.
 */

const TIMEOUT_MS = 60_000;
export const FFMPEG_MISSING = 'ffmpeg is not installed: apt-get install -y ffmpeg';

function run(tool: 'ffmpeg' | 'ffprobe', args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.code === 'ENOENT') return reject(new ApiError(501, FFMPEG_MISSING));
      if (e.killed) return reject(new ApiError(504, `${tool} took longer than ${TIMEOUT_MS / 1000} s`));
      const last = String(stderr).trim().split('\n').pop() ?? '';
      reject(new ApiError(400, `Bad Request: ${tool} could not read the audio (${last.slice(0, 200)})`));
    });
  });
}

async function inScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sandbox-audio-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function durationOf(file: string): Promise<number> {
  const out = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', file]);
  const seconds = Number(out.trim());
  return Number.isFinite(seconds) ? seconds : 0;
}

/** Any audio ffmpeg reads (WebM, OGG, MP3, WAV, …) as OGG/Opus 32 kbit/s mono 48 kHz, and its whole seconds (≥ 1). */
export function toVoice(bytes: Buffer): Promise<{ bytes: Buffer; duration: number }> {
  return inScratch(async (dir) => {
    const input = path.join(dir, 'in');
    const output = path.join(dir, 'out.ogg');
    await writeFile(input, bytes);
    await run('ffmpeg', ['-nostdin', '-hide_banner', '-v', 'error', '-y', '-i', input, '-vn', '-c:a', 'libopus', '-b:a', '32k', '-ar', '48000', '-ac', '1', output]);
    const ogg = await readFile(output);
    return { bytes: ogg, duration: Math.max(1, Math.round(await durationOf(output))) };
  });
}

/** A media file's duration in whole seconds, or undefined when ffprobe is missing or cannot tell (best effort). */
export function probeDuration(bytes: Buffer): Promise<number | undefined> {
  return inScratch(async (dir) => {
    const input = path.join(dir, 'in');
    await writeFile(input, bytes);
    const seconds = await durationOf(input);
    return seconds > 0 ? Math.round(seconds) : undefined;
  }).catch(() => undefined);
}
