import { z } from 'zod';
import { defineJob } from '../../jobs/define';
import { actorSchema, inlineKeyboardSchema, languageSchema, starsInvoiceSchema, templateSchema, updateIdSchema } from '../../jobs/payloads';

/**
 * The notifications feature's jobs (their handlers: src/domain/notifications/*.handlers.ts). Assembled with every feature's
 * into the catalogue by src/jobs/catalogue.ts. Imports only zod, the job machinery's definitions and payload schemas:
 * the bot loads this file, so nothing here may reach Postgres.
 */
export const notificationsJobs = {
  /**
   * Replace the text (and buttons) of a message sent earlier: found by the job id of the `message.send` that sent it
   * (through its receipt), or by its message id (a button pressed under it).
   */
  'message.edit': defineJob({
    queue: 'notifications',
    description: 'edit a message sent earlier (a "working…" message advancing, a page of /history turned)',
    options: { attempts: 5 },
    payload: z
      .object({
        chatId: z.number().int(),
        /** The job id of the `message.send` that sent the message. */
        messageJobId: z.string().min(1).max(200).optional(),
        messageId: z.number().int().positive().optional(),
        lang: languageSchema.default('en'),
        text: z.string().min(1).max(4_096).optional(),
        template: templateSchema.optional(),
        replyMarkup: inlineKeyboardSchema.optional(),
        /** Per-chat sequence number (set by enqueue()): an edit goes out after the messages queued before it. */
        seq: z.number().int().positive().optional(),
      })
      .refine((p) => (p.messageJobId === undefined) !== (p.messageId === undefined), 'exactly one of messageJobId or messageId')
      .refine((p) => (p.text === undefined) !== (p.template === undefined), 'exactly one of text or template'),
  }),
  /** A throttled, de-duplicated failure report to the admins (see src/observability/admin-alerts.ts). */
  'admin.alert': defineJob({
    queue: 'notifications',
    description: 'tell the admins about a failure, with how often it happened since the last alert',
    options: { attempts: 3 },
    payload: z.object({
      fingerprint: z.string().min(1).max(400),
      source: z.string().min(1).max(200),
      message: z.string().min(1).max(1_000),
      firstSeenAt: z.string().max(40),
    }),
  }),
  /**
   * Scheduled daily (04:30 UTC) by every notifications worker: deletes send receipts older than RECEIPTS_KEEP_DAYS,
   * in batches, so the table stays the size of the last month's messages.
   */
  'receipts.prune': defineJob({
    queue: 'notifications',
    description: 'scheduled daily: delete send receipts older than RECEIPTS_KEEP_DAYS',
    options: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
    payload: z.object({}),
  }),
  /** Admin `/broadcast <text>`: one message to every active user, fanned out in pages, reported back at the end. */
  broadcast: defineJob({
    queue: 'notifications',
    description: 'fan one admin message out to every active user; report sent / blocked / failed to the admin',
    options: { attempts: 3 },
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, text: z.string().min(1).max(4_000) }),
  }),
  /** The only path for user-visible messages: `text`, a translated `template`, or a Stars `invoice`. */
  'message.send': defineJob({
    queue: 'notifications',
    description: 'send one message to one chat (split past 4096 characters); 403 marks the user blocked',
    options: { attempts: 8 },
    payload: z
      .object({
        chatId: z.number().int(),
        updateId: updateIdSchema,
        lang: languageSchema.default('en'),
        text: z.string().min(1).max(64_000).optional(),
        template: templateSchema.optional(),
        invoice: starsInvoiceSchema.optional(),
        /** A stored avatar as a photo (its JPEG/PNG variant of `size`); `text` or `template` becomes its caption. */
        photo: z.object({ avatarId: z.number().int().positive(), size: z.union([z.literal(512), z.literal(256), z.literal(128)]).default(512) }).optional(),
        /** A stored avatar as a file, in full quality (its 512 px WebP): no recompression by Telegram. */
        document: z.object({ avatarId: z.number().int().positive() }).optional(),
        /** Stored avatars as one media group of thumbnails (Telegram: 2–10 items), each with its caption. */
        album: z.array(z.object({ avatarId: z.number().int().positive(), caption: z.string().max(1_024).optional() })).min(2).max(10).optional(),
        /**
         * A stored transcript, read and decrypted when it is sent (its text never rides in a job): as messages, split
         * at 4096 characters, or as a .txt file past TRANSCRIPT_DOCUMENT_CHARS. `text` or `template` is its header.
         */
        transcript: z.object({ transcriptId: z.number().int().positive() }).optional(),
        parseMode: z.enum(['HTML', 'MarkdownV2']).optional(),
        /** Set when the message is part of a broadcast: its outcome is counted into the broadcast's report. */
        broadcastId: z.string().max(100).optional(),
        /** Per-chat sequence number, set by enqueue(): the chat's messages go out in this order. */
        seq: z.number().int().positive().optional(),
        replyMarkup: inlineKeyboardSchema.optional(),
      })
      .refine(
        (p) => {
          // A broadcast's message carries no text: it is read from the broadcast (once in Redis) at send time.
          const bodies = [p.text, p.template, p.invoice].filter((v) => v !== undefined).length + (p.broadcastId !== undefined && p.text === undefined && p.template === undefined ? 1 : 0);
          const media = [p.photo, p.document, p.album, p.transcript].filter((v) => v !== undefined).length;
          if (media > 1) return false;
          // Telegram takes no caption text and no buttons for an album as a whole.
          if (p.album) return bodies === 0 && !p.replyMarkup;
          return media === 1 ? bodies <= 1 && !p.invoice : bodies === 1;
        },
        'exactly one of text, template, invoice or a broadcast id; a photo, document or transcript takes an optional text or template as its caption or header; an album takes neither, nor buttons',
      ),
  }),
} as const;
