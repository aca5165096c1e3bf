import { FileTooLargeError, TelegramBadRequestError } from '../../adapters/telegram.client';
import { ImageRefusedError, squareAvatar } from '../../adapters/image';
import type { HandlerMap, WorkerDeps } from '../../jobs/handler.types';
import { reply } from '../reply';
import { runPaid } from '../billing/paid-work';

/** Telegram lets bots download files up to 20 MB. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
export const AVATAR_SIZE = 512;

/**
 * Avatars queue. The price is held before anything is downloaded; a photo that cannot become an avatar gets its
 * reason and the coins back (a refusal, not a failure: no retry); success sends the avatar and captures the price.
 */
export function avatarHandlers(deps: WorkerDeps): HandlerMap<'avatars'> {
  const { config, telegram, avatars, enqueue } = deps;
  return {
    'avatar.create': async ({ actor, updateId, messageId, fileId, fileUniqueId, fileSize, width, height }, ctx) => {
      const user = ctx.user!;
      const maxPixels = config.AVATAR_MAX_MEGAPIXELS * 1_000_000;
      const refuse = async (reason: ImageRefusedError['reason']) => {
        await reply(enqueue, ctx, actor, updateId, { key: reason, params: { megapixels: String(config.AVATAR_MAX_MEGAPIXELS) } });
        return { refused: reason };
      };
      // What Telegram declares is checked before the coins are even held.
      if ((fileSize ?? 0) > MAX_DOWNLOAD_BYTES || width * height > maxPixels) return refuse('avatar.too_large');
      const outcome = await runPaid(
        deps, ctx, actor, updateId,
        { service: 'avatar', key: `avatar:${actor.chatId}:${messageId}`, amount: config.PRICE_AVATAR },
        async () => {
          try {
            const source = await telegram.download(fileId, MAX_DOWNLOAD_BYTES);
            const image = await squareAvatar(source, AVATAR_SIZE, maxPixels);
            // Stored once per source photo and style: a re-run finds the row it made.
            return await avatars.save({ userId: user.id, sourceUniqueId: fileUniqueId, style: 'square', size: AVATAR_SIZE, format: image.format, bytes: image.bytes });
          } catch (err) {
            // Ours (the bytes counted while downloading) or Telegram's (getFile refuses files over 20 MB).
            if (err instanceof FileTooLargeError || (err instanceof TelegramBadRequestError && /file is too big/i.test(err.message))) {
              throw new ImageRefusedError('avatar.too_large');
            }
            throw err;
          }
        },
        (avatarId) =>
          enqueue(
            'message.send',
            { chatId: actor.chatId, updateId, lang: user.language, photo: { avatarId }, template: { key: 'avatar.done', params: { price: String(config.PRICE_AVATAR) } } },
            { jobId: `reply-${updateId ?? ctx.job.id}` },
          ),
      );
      if (outcome.status === 'refused') return refuse(outcome.reason as ImageRefusedError['reason']);
      if (outcome.status === 'done') return { avatarId: outcome.result };
      return outcome;
    },
  };
}
