import { z } from 'zod';
import { defineJob } from '../../jobs/define';
import { AVATAR_STYLES } from '../../shared/avatar-styles';
import { actorSchema, updateIdSchema } from '../../jobs/payloads';

/**
 * The avatars feature's jobs (their handlers: src/domain/avatars/*.handlers.ts). Assembled with every feature's
 * into the catalogue by src/jobs/catalogue.ts. Imports only zod, the job machinery's definitions and payload schemas:
 * the bot loads this file, so nothing here may reach Postgres.
 */
export const avatarsJobs = {
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
} as const;
