import type { AudioRefusal } from '../../adapters/audio';

/** Telegram's cloud Bot API lets bots download files up to 20 MB. */
export const MAX_AUDIO_BYTES = 20 * 1024 * 1024;

/** Documents the bot takes as audio (everything else sent as a file goes to avatars), by type or by name. */
export function isAudioDocument(mimeType: string | undefined, fileName: string | undefined): boolean {
  if (mimeType && /^audio\//i.test(mimeType)) return true;
  return /\.(ogg|oga|opus|mp3|m4a|aac|wav|flac|amr|weba|aiff?|caf)$/i.test(fileName ?? '');
}

/** What Telegram declared rules out, before anything is held or downloaded; `undefined`: go on. */
export function declaredAudioRefusal(d: { fileSize?: number; duration?: number }, maxSeconds: number): AudioRefusal | undefined {
  if (d.fileSize !== undefined && d.fileSize > MAX_AUDIO_BYTES) return 'transcript.too_large';
  if (d.duration !== undefined && d.duration > maxSeconds) return 'transcript.too_long';
  if (d.fileSize === 0) return 'transcript.empty';
  return undefined;
}

/** Paid per started minute; a recording shorter than a second is still one minute. */
export const paidMinutes = (seconds: number): number => Math.max(1, Math.ceil(seconds / 60));

/** 0:03, 1:05, 12:00 — how the user's clients show a voice message's length. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
