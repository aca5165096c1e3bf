import { runTool, ToolMissingError, ToolTimeoutError, type RunResult } from '../lib/run-tool';
import { stat } from 'node:fs/promises';

/** Why an input cannot become a transcript: each is a translation key told to the user (no charge, no retry). */
export type AudioRefusal =
  | 'transcript.not_audio'
  | 'transcript.empty'
  | 'transcript.corrupt'
  | 'transcript.too_long'
  | 'transcript.too_large'
  | 'transcript.no_speech';

export class AudioRefusedError extends Error {
  override readonly name = 'AudioRefusedError';
  constructor(readonly reason: AudioRefusal) {
    super(reason);
  }
}

/** A tool the worker needs is not installed or not runnable: an operator's problem, told at start-up. */

/** A child process ran past its time bound (the job's, or the engine's), or the job was stopped. */

/** The containers voice and audio arrive in, by their first bytes; anything else is not audio. */
export { runTool, ToolMissingError, ToolTimeoutError, type RunResult };

export function sniffAudio(b: Buffer): string | undefined {
  const at = (offset: number, text: string) => b.length >= offset + text.length && b.toString('latin1', offset, offset + text.length) === text;
  if (at(0, 'OggS')) return 'ogg';
  if (at(0, 'ID3')) return 'mp3';
  // An MPEG audio frame or an ADTS (AAC) header: 11 set sync bits.
  if (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) return 'mpeg';
  if (at(0, 'RIFF') && at(8, 'WAVE')) return 'wav';
  if (at(0, 'fLaC')) return 'flac';
  // MP4 / M4A / 3GP / MOV (video notes are MP4).
  if (at(4, 'ftyp')) return 'mp4';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (at(0, '#!AMR')) return 'amr';
  if (at(0, 'FORM') && (at(8, 'AIFF') || at(8, 'AIFC'))) return 'aiff';
  if (at(0, 'caff')) return 'caf';
  return undefined;
}

/** 16 kHz mono 16-bit PCM: 32,000 bytes a second; a canonical WAV header is 44 bytes. */
export const BYTES_PER_SECOND = 32_000;
const WAV_HEADER = 44;

/**
 * Converts what the user sent (`input`, a file) into a 16 kHz mono 16-bit WAV at `output` with ffmpeg — the form
 * every engine takes — keeping at most `maxSeconds`. Returns the audio's length in seconds. Refuses what is not
 * audio (by its first bytes, or no audio stream), what ffmpeg cannot decode (damaged) and what holds no samples.
 */
export async function toWav(ffmpeg: string, input: { path: string; head: Buffer }, output: string, maxSeconds: number, signal?: AbortSignal): Promise<number> {
  if (input.head.length === 0) throw new AudioRefusedError('transcript.empty');
  if (!sniffAudio(input.head)) throw new AudioRefusedError('transcript.not_audio');
  const r = await runTool(ffmpeg, [
    '-nostdin', '-hide_banner', '-v', 'error', '-y', '-i', input.path,
    '-t', String(maxSeconds), '-vn', '-sn', '-dn', '-ac', '1', '-ar', '16000',
    // A canonical 44-byte header (no LIST chunk): pocketsphinx reads the samples right after it.
    '-map_metadata', '-1', '-bitexact', '-c:a', 'pcm_s16le', '-f', 'wav', output,
  ], { signal });
  if (r.code !== 0) {
    // Killed (out of memory…) or short of a resource: ours, not the file's — a transient fault, retried.
    if (r.code === null || /No space left|Cannot allocate memory|Permission denied|Too many open files/i.test(r.stderr)) {
      throw new Error(`ffmpeg failed (${r.code === null ? 'killed' : `exit ${r.code}`}): ${r.stderr.slice(-300)}`);
    }
    if (/does not contain any stream|matches no streams|no audio/i.test(r.stderr)) throw new AudioRefusedError('transcript.not_audio');
    throw new AudioRefusedError('transcript.corrupt');
  }
  const samples = (await stat(output)).size - WAV_HEADER;
  if (samples <= 0) throw new AudioRefusedError('transcript.empty');
  return samples / BYTES_PER_SECOND;
}
