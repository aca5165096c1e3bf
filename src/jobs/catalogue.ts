import { z } from 'zod';
import { defineJob } from './define';
import { AVATAR_STYLES } from '../shared/avatar-styles';
import { actorSchema, ADMIN_COMMANDS, dialogStateSchema, requesterSchema, inlineKeyboardSchema, languageSchema, REPLY_KEYS, starsInvoiceSchema, templateSchema, updateIdSchema } from './payloads';

/**
 * The job catalogue: the single source of truth for job name → queue, payload schema and options.
 * The bot and the workers both import it; docs/JOBS.md describes each entry for operators.
 */
export const catalogue = {
  /** `/start`: register (or re-activate) the user and send the welcome. */
  'account.register': defineJob({
    queue: 'billing',
    description: '/start: register the user on first contact and send the welcome',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** A canned reply to a user action (help, unknown command, …), in the user's language. */
  'account.reply': defineJob({
    queue: 'billing',
    description: 'answer a user action with a canned, translated reply (/help, /cancel, unknown input)',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      key: z.enum(REPLY_KEYS),
      params: z.record(z.string(), z.string().max(64)).optional(),
    }),
  }),
  /** `/balance`: the user's coins. */
  'balance.show': defineJob({
    queue: 'billing',
    description: "/balance: tell the user their coins",
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** `/prices`: what paid work costs, from the configuration. */
  'prices.show': defineJob({
    queue: 'billing',
    description: '/prices: tell the user what paid work costs',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** `/topup` (or the "Top up" button under a refusal): the Stars packages on inline buttons. */
  'topup.offer': defineJob({
    queue: 'billing',
    description: '/topup: show the Telegram Stars packages on inline buttons',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** A package button was pressed: send a Stars invoice whose payload is signed (checked at pre-checkout). */
  'topup.invoice': defineJob({
    queue: 'billing',
    description: 'send a Telegram Stars invoice for the chosen package, with a signed payload',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, packageId: z.number().int().min(0).max(7) }),
  }),
  /**
   * Telegram asks whether to take the user's Stars; it waits at most 10 s. LIFO: it jumps the billing queue's line,
   * retries included: they go straight back to the front (no backoff). A delayed retry would come back through the
   * delayed set, which BullMQ re-queues at the END of the line, behind every waiting job.
   */
  'payment.precheckout': defineJob({
    queue: 'billing',
    description: 'check a pre-checkout (signed payload, package, amount, payer) and answer Telegram within its 10 s',
    options: { lifo: true, attempts: 3, backoff: { type: 'fixed', delay: 0 } },
    // Its answer goes to Telegram's query, not into the chat: nothing to keep a place for.
    replyInOrder: false,
    // Answered from the signed payload alone: a Postgres outage does not decline a payment.
    actorPolicy: 'none',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      queryId: z.string().min(1).max(128),
      invoicePayload: z.string().max(256),
      currency: z.string().max(8),
      totalAmount: z.number().int(),
    }),
  }),
  /** The Stars were paid: credit the coins once per charge id and thank the user with the new balance. */
  'payment.completed': defineJob({
    queue: 'billing',
    description: 'credit a successful Stars payment once (unique charge id) and thank the user; a banned payer is refunded',
    options: { attempts: 10 },
    // Money received is never dropped: a banned payer's Stars are recorded and given back.
    actorPolicy: 'banned-too',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      chargeId: z.string().min(1).max(256),
      invoicePayload: z.string().max(256),
      currency: z.string().max(8),
      totalAmount: z.number().int(),
    }),
  }),
  /**
   * A payment's Stars given back (a banned payer): written to the outbox with the credit, so the refund follows the
   * money whatever dies in between (the refund state machine makes a repeat safe).
   */
  'payment.refund': defineJob({
    queue: 'billing',
    description: "refund a payment's Stars through the refund state machine (a banned payer), audited, admins told",
    options: { attempts: 10 },
    payload: z.object({ chargeId: z.string().min(1).max(256), reason: z.enum(['banned']), telegramId: z.number().int() }),
  }),
  /** `/history` and its page buttons: ledger entries, newest first. A button edits the page in place. */
  'history.show': defineJob({
    queue: 'billing',
    description: '/history: one page of the ledger, newest first, with buttons to page',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, page: z.number().int().min(0).max(100_000).default(0), messageId: z.number().int().positive().optional() }),
  }),
  /** `/usage`: services used and coins spent. */
  'usage.show': defineJob({
    queue: 'billing',
    description: '/usage: paid services used and coins spent on each',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** `/settings` and its buttons: language (ru / en) and notifications (on / off). */
  'settings.update': defineJob({
    queue: 'billing',
    description: '/settings: show, or change language / notifications and show the result',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      change: z.union([z.object({ language: languageSchema }), z.object({ notifications: z.boolean() })]).optional(),
      messageId: z.number().int().positive().optional(),
    }),
  }),
  /** Scheduled: release holds whose job died or failed (see docs/BILLING.md). */
  'billing.sweep': defineJob({
    queue: 'billing',
    description: 'scheduled: release holds older than HOLD_SWEEP_MINUTES whose job is gone or failed',
    options: { attempts: 3 },
    payload: z.object({}),
  }),
  /** Scheduled: relay outbox rows a process died before relaying, and re-relay those whose job was lost. */
  'outbox.relay': defineJob({
    queue: 'billing',
    description: 'scheduled: queue outbox rows never relayed, and again those whose job vanished (Redis lost it)',
    options: { attempts: 3 },
    payload: z.object({}),
  }),
  /**
   * Scheduled: Telegram's Star transactions (getStarTransactions) compared with `payments`; a payment with no record
   * (its update lost) is credited through `payment.completed`, audited, and reported to the admins.
   */
  'payments.reconcile': defineJob({
    queue: 'billing',
    description: 'scheduled: credit Stars payments Telegram took that have no record (getStarTransactions), audited, admins told',
    options: { attempts: 3 },
    payload: z.object({}),
  }),
  /** A dialog transition, mirrored to Postgres so a Redis loss does not drop the user mid-dialog. */
  'dialog.save': defineJob({
    queue: 'billing',
    description: "write a (chat, user)'s new dialog state to dialog_states (a later update's state is never overwritten)",
    payload: z.object({ botId: z.number().int().positive(), chatId: z.number().int(), telegramId: z.number().int().positive(), updateId: z.number().int().nonnegative(), state: dialogStateSchema.nullable() }),
  }),
  /** Redis had no dialog state for a user while it may have lost some: put back the one Postgres kept. */
  'dialog.restore': defineJob({
    queue: 'billing',
    description: "after a Redis loss: copy a (chat, user)'s last dialog state from dialog_states into Redis (or mark it as none)",
    // Last in, first out: the user's update is waiting for it.
    options: { attempts: 3, lifo: true },
    payload: z.object({ botId: z.number().int().positive(), chatId: z.number().int(), telegramId: z.number().int().positive() }),
  }),
  /** Scheduled daily (04:40 UTC): what is older than its retention setting is deleted (docs/RELIABILITY.md#retention). */
  'retention.prune': defineJob({
    queue: 'billing',
    description: 'scheduled daily: delete audit events, transcripts, avatar sets, closed outbox rows and failed jobs older than their *_KEEP_DAYS',
    options: { attempts: 3 },
    payload: z.object({}),
  }),
  /** An admin command. The worker checks the right (ADMIN_IDS); refusals are audited. */
  'admin.command': defineJob({
    queue: 'billing',
    description: 'run /stats, /ban, /unban, /audit, /grant, /refund or /backup for an admin; refuse and audit anyone else',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      command: z.enum(ADMIN_COMMANDS),
      args: z.array(z.string().max(64)).max(5),
    }),
  }),
  /** The text a user typed after `/feedback`: kept in the audit trail and forwarded to the admins. */
  'feedback.submit': defineJob({
    queue: 'billing',
    description: 'store feedback a user wrote after /feedback and forward it to the admins',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, text: z.string().min(1).max(4000) }),
  }),
  /**
   * A photo or a document arrived: offer the avatar styles on buttons, or refuse at once what its declared type or
   * size rules out (nothing is held or downloaded). The source waits in the user's dialog state (the bot's FSM).
   */
  'avatar.offer': defineJob({
    queue: 'avatars',
    description: 'a photo or file arrived: refuse what is declared too large or not an image, or offer the styles',
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      messageId: z.number().int().positive(),
      kind: z.enum(['photo', 'document']),
      fileSize: z.number().int().nonnegative().optional(),
      width: z.number().int().nonnegative().optional(),
      height: z.number().int().nonnegative().optional(),
      mimeType: z.string().max(256).optional(),
      fileName: z.string().max(512).optional(),
      /** Telegram sent it as an animation (a GIF or a silent video). */
      animated: z.boolean().default(false),
    }),
  }),
  /** A style was chosen: the avatar set, paid — held before the download, captured before it is sent. */
  'avatar.create': defineJob({
    queue: 'avatars',
    description: 'make an avatar set in the chosen style: hold the price, download, sharp, store, capture, send',
    options: { attempts: 3 },
    payload: z.object({
      actor: actorSchema,
      updateId: updateIdSchema,
      /** The source's message: with the chat and the style, the request's domain id (one hold per choice). */
      messageId: z.number().int().positive(),
      fileId: z.string().min(1).max(256),
      fileUniqueId: z.string().min(1).max(128),
      fileSize: z.number().int().nonnegative().optional(),
      width: z.number().int().nonnegative().optional(),
      height: z.number().int().nonnegative().optional(),
      // Jobs queued before styles existed made squares.
      style: z.enum(AVATAR_STYLES).default('square'),
    }),
  }),
  /** `/avatars`: the user's avatars as a media group of thumbnails, then buttons to make one current or delete it. */
  'avatars.list': defineJob({
    queue: 'avatars',
    description: '/avatars: thumbnails of the user\'s avatars with buttons to make current or delete',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema }),
  }),
  /** A button under `/avatars`: this avatar becomes the user's current one. */
  'avatar.current': defineJob({
    queue: 'avatars',
    description: 'make one of the user\'s avatars their current one',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, avatarId: z.number().int().positive() }),
  }),
  /** A button under `/avatars`: the avatar and every stored variant's bytes are deleted. */
  'avatar.delete': defineJob({
    queue: 'avatars',
    description: 'delete one of the user\'s avatars with all its stored variants',
    payload: z.object({ actor: actorSchema, updateId: updateIdSchema, avatarId: z.number().int().positive() }),
  }),
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
  /**
   * Scheduled (BACKUP_CRON), `/backup`, or added in Bull Board: `pg_dump -Fc` into BACKUP_DIR in an exported snapshot,
   * with every table's rows and checksum taken in the same snapshot; then its restore drill is queued. One at a time
   * across every replica (a Postgres advisory lock): a run that finds another running is refused.
   */
  'backup.run': defineJob({
    queue: 'backups',
    description: 'pg_dump -Fc into BACKUP_DIR (exported snapshot, per-table checksums, sha256); then queue its restore drill',
    options: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
    payload: z.object({ trigger: z.enum(['schedule', 'admin', 'board']).default('board'), requestedBy: requesterSchema.optional() }),
  }),
  /**
   * The restore drill of one backup (after each run), or of the newest kept one (BACKUP_VERIFY_CRON): sha256, then
   * pg_restore into a scratch database, every table's rows and checksum compared with the dump's, the scratch database
   * dropped, the verdict recorded; a passed drill applies retention. Waits while a dump or another drill runs.
   */
  'backup.verify': defineJob({
    queue: 'backups',
    description: 'restore drill: sha256, pg_restore into a scratch database, compare rows and checksums with the dump time, drop it, record; then retention',
    options: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } },
    payload: z.object({ backupId: z.number().int().positive().optional(), requestedBy: requesterSchema.optional() }),
  }),
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

export type Catalogue = typeof catalogue;
export type JobName = keyof Catalogue;
export type QueueOf<N extends JobName> = Catalogue[N]['queue'];
/** What a producer passes (defaults may be omitted). */
export type PayloadInput<N extends JobName> = z.input<Catalogue[N]['payload']>;
/** What a handler receives (defaults filled in). */
export type Payload<N extends JobName> = z.output<Catalogue[N]['payload']>;
export type JobsOfQueue<Q extends string> = { [N in JobName]: Catalogue[N]['queue'] extends Q ? N : never }[JobName];

export const JOB_NAMES = Object.keys(catalogue) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(catalogue, name);
}
