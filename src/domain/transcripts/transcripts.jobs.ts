import { z } from 'zod';
import { defineJob } from '../../jobs/define';
import { actorSchema, updateIdSchema } from '../../jobs/payloads';

/**
 * The transcripts feature's jobs (their handlers: src/domain/transcripts/*.handlers.ts). Assembled with every feature's
 * into the catalogue by src/jobs/catalogue.ts. Imports only zod, the job machinery's definitions and payload schemas:
 * the bot loads this file, so nothing here may reach Postgres.
 */
export const transcriptsJobs = {
  /**
   * A voice, audio, video note or audio file arrived: check its declared length, hold the price per started minute,
   * download, ffmpeg → 16 kHz mono WAV, transcribe, store (encrypted), capture, send the text. An input that cannot
   * be transcribed is refused with its reason (no charge, no retry); an engine down or timing out is retried with
   * the queue's backoff (TRANSCRIPT_RETRY_SECONDS, doubling).
   */
  'transcript.create': defineJob({
    queue: 'transcripts',
    description: 'transcribe a voice, audio, video note or audio file: hold per minute, ffmpeg, engine, store encrypted, capture, send',
    options: { attempts: 4, backoff: { type: 'custom' } },
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      /** The source's message: with the chat, the request's domain id (its hold, its stored transcript). */
      messageId: z.number().int().positive(),
      kind: z.enum(['voice', 'audio', 'video_note', 'document']),
      fileId: z.string().min(1).max(256),
      fileUniqueId: z.string().min(1).max(128),
      fileSize: z.number().int().nonnegative().optional(),
      /** Seconds, as Telegram declares them (a document declares none). */
      duration: z.number().int().nonnegative().optional(),
      mimeType: z.string().max(256).optional(),
    }),
  }),
  /** `/transcripts`: the latest transcripts (length, engine, date) with buttons to show one again or delete it. */
  'transcripts.list': defineJob({
    queue: 'transcripts',
    description: "/transcripts: the user's latest transcripts with buttons to show again or delete",
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** A button under `/transcripts`: the transcript's text again (free). */
  'transcript.show': defineJob({
    queue: 'transcripts',
    description: 'send one of the user\'s transcripts again',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, transcriptId: z.number().int().positive() }),
  }),
  /** A button under `/transcripts`: the transcript is deleted. */
  'transcript.delete': defineJob({
    queue: 'transcripts',
    description: 'delete one of the user\'s transcripts',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, transcriptId: z.number().int().positive() }),
  }),
  /**
   * Re-seal every transcript under an older key with the current ENCRYPTION_KEY (after a rotation). Queued by each
   * transcripts worker at start-up, once per current key; an operator may add it in Bull Board at any time.
   */
  'transcripts.reencrypt': defineJob({
    queue: 'transcripts',
    description: 'after a key rotation: re-encrypt transcripts sealed with an older key under the current ENCRYPTION_KEY',
    options: { attempts: 3 },
    payload: z.object({ batch: z.number().int().min(1).max(10_000).default(500) }),
  }),
} as const;
