import { FileTooLargeError, TelegramBadRequestError } from '../../adapters/telegram.client';
import { ImageRefusedError, renderAvatar, type AvatarVariant, type ImageRefusal } from '../../adapters/image';
import type { HandlerMap, JobContext, WorkerDeps } from '../../jobs/handler.types';
import type { Actor, Language } from '../../jobs/payloads';
import { runPaid, tellIfFinalFailure, WorkRefusedError } from '../billing/paid-work';
import { translate } from '../i18n/messages';
import { CALLBACK, numberedActions, type InlineKeyboard } from '../keyboards';
import { Progress } from '../notifications/progress';
import { reply } from '../reply';
import { effect, type Effect } from '../../jobs/outbox';
import { declaredRefusal, MAX_DOWNLOAD_BYTES } from './intake';
import { AVATAR_STYLES } from '../../shared/avatar-styles';

/** A translated message: a reply, or the text a "working…" message is edited to. */
type Told = { key: string; params?: Record<string, string> };

/** The refusal that is not one: another request made this set while this one worked (see `avatar.create`). */
const MADE_MEANWHILE = 'avatar.made_meanwhile';

/** How many avatars `/avatars` shows (Telegram's album holds 10). */
export const AVATARS_LISTED = 10;

const styleKeyboard = (lang: Language, messageId: number): InlineKeyboard => ({
  inline_keyboard: [AVATAR_STYLES.map((style) => ({ text: translate(lang, `style.${style}`), callback_data: CALLBACK.avatarStyle(messageId, style) }))],
});

/**
 * Avatars queue. A photo or file is first sorted by what Telegram declared (`avatar.offer`); a chosen style runs
 * `avatar.create` under a hold: the coins are held before the download, an input that cannot become an avatar gets
 * its reason and the coins back (a refusal, not a failure: no retry), success stores the set, captures the price,
 * then sends a photo (preview) and a file (full quality). The same photo in the same style is made once.
 */
export function avatarHandlers(deps: WorkerDeps): HandlerMap<'avatars'> {
  const { config, telegram, avatars, holds, enqueue } = deps;
  const maxPixels = () => config.AVATAR_MAX_MEGAPIXELS * 1_000_000;
  const refusalBody = (reason: ImageRefusal): Told => ({ key: reason, params: { megapixels: String(config.AVATAR_MAX_MEGAPIXELS) } });

  /** The set as a photo (with its caption) and as a file, in this order, with job ids from the request. */
  const delivery = (ctx: JobContext, actor: Actor, updateId: number | undefined, setId: number, caption: Told): Effect[] => {
    const lang = ctx.user!.language;
    const jobId = `reply-${updateId ?? ctx.job.id}`;
    return [
      effect('message.send', { chatId: actor.chatId, updateId, lang, photo: { avatarId: setId }, template: caption }, jobId),
      effect('message.send', { chatId: actor.chatId, lang, document: { avatarId: setId } }, `${jobId}-file`),
    ];
  };
  /** Served from storage (free): nothing to commit with, queued directly. */
  const deliver = async (ctx: JobContext, actor: Actor, updateId: number | undefined, setId: number, caption: Told) => {
    for (const e of delivery(ctx, actor, updateId, setId, caption)) await enqueue(e.name, e.payload as never, { jobId: e.jobId });
  };

  const download = async (fileId: string): Promise<Buffer> => {
    try {
      return await telegram.download(fileId, MAX_DOWNLOAD_BYTES);
    } catch (err) {
      // Ours (the bytes counted while downloading) or Telegram's (getFile refuses files over 20 MB).
      if (err instanceof FileTooLargeError || (err instanceof TelegramBadRequestError && /file is too big/i.test(err.message))) {
        throw new ImageRefusedError('avatar.too_large');
      }
      throw err;
    }
  };

  return {
    'avatar.offer': async ({ actor, updateId, messageId, ...declared }, ctx) => {
      const refusal = declaredRefusal(declared, maxPixels());
      if (refusal) {
        await reply(enqueue, ctx, actor, updateId, refusalBody(refusal));
        return { refused: refusal };
      }
      await reply(enqueue, ctx, actor, updateId, {
        key: 'avatar.choose', params: { price: String(config.PRICE_AVATAR) }, replyMarkup: styleKeyboard(ctx.user!.language, messageId),
      });
      return { offered: true };
    },

    'avatar.create': async ({ actor, updateId, messageId, fileId, fileUniqueId, fileSize, width, height, style }, ctx) => {
      const user = ctx.user!;
      const styleName = translate(user.language, `style.${style}`);
      // What Telegram declares is checked before the coins are even held (the offer checked it too; buttons linger).
      const declared = declaredRefusal({ kind: 'photo', fileSize, width, height }, maxPixels());
      if (declared) {
        await reply(enqueue, ctx, actor, updateId, refusalBody(declared));
        return { refused: declared };
      }
      const key = `avatar:${actor.chatId}:${messageId}:${style}`;
      const [stored, hold] = await Promise.all([avatars.findSet(user.id, fileUniqueId, style), holds.find(key)]);
      // The same button tapped again (another job, same request): the hold says how the first tap ended.
      const repeated = hold !== undefined && hold.jobId !== ctx.job.id;
      // Still being made by the first tap's job (or it will be, when BullMQ recovers it): that job delivers.
      if (repeated && hold.status === 'held') return { repeated: 'in progress' };
      if (repeated && hold.status === 'released') {
        // Refused (the user read why) or given up: a new request needs the photo again.
        await reply(enqueue, ctx, actor, updateId, { key: 'avatar.choice_expired' });
        return { repeated: 'released' };
      }
      // Made before from the same source in the same style — by another request, or by this one for an earlier tap:
      // served from storage, free: nothing is held, downloaded or decoded. (A run of the very job that holds is a
      // retry or a stalled re-run and goes on below.)
      if (stored && (!hold || (repeated && hold.status === 'captured'))) {
        await deliver(ctx, actor, updateId, stored.id, { key: 'avatar.again' });
        return { avatarId: stored.id, fromStorage: true };
      }
      const progress = new Progress(deps, actor.chatId, user.language, ctx.job.id!);
      let started = false;
      const tell = (body: Told) =>
        started ? progress.update(body.key, body.params) : reply(enqueue, ctx, actor, updateId, body);
      try {
        const outcome = await runPaid(
          deps, ctx, actor, updateId,
          // The source (photo and style): while one request holds for it, a twin (the same photo sent twice) waits and
          // is then served what the first stored, so no retry of either can pay a second time.
          { service: 'avatar', key, amount: config.PRICE_AVATAR, source: `${fileUniqueId}:${style}` },
          async (resumed) => {
            // A re-run (a retry; a worker that died, perhaps after the capture) finds what an earlier run stored.
            const made = resumed ? await avatars.findSet(user.id, fileUniqueId, style) : undefined;
            if (made) return made.id;
            // One "working…" message, edited once at the end: each message and edit spends the chat's pace
            // (≈ 1/s after a burst of 3), so more steps would only hold the avatar back.
            await progress.start('avatar.working', { style: styleName });
            started = true;
            await progress.action('upload_photo');
            let variants: AvatarVariant[];
            try {
              const source = await download(fileId);
              variants = await renderAvatar(source, style, maxPixels());
            } catch (err) {
              // Not an image we can make an avatar from: a refusal (coins released, nothing retried, the user told).
              if (err instanceof ImageRefusedError) throw new WorkRefusedError(err.reason);
              throw err;
            }
            // Stored once per source and style. Found stored by a first run (its hold is new, so no run of this
            // request can have stored it): another request made it meanwhile — the same photo sent twice, both
            // made at once. That one is paid for; this one is released and served from storage, free. A resumed run
            // keeps the set it finds: a twin run of this same request (same hold) may have stored it.
            const saved = await avatars.saveSet({ userId: user.id, sourceUniqueId: fileUniqueId, style, variants });
            if (!saved.created && !resumed) throw new WorkRefusedError(MADE_MEANWHILE);
            return saved.id;
          },
          (setId) => delivery(ctx, actor, updateId, setId, { key: 'avatar.done', params: { price: String(config.PRICE_AVATAR) } }),
          async () => {
            if (started) await progress.update('avatar.working.done', { style: styleName });
          },
        );
        if (outcome.status === 'refused' && outcome.reason === MADE_MEANWHILE) {
          const twin = (await avatars.findSet(user.id, fileUniqueId, style))!;
          await deliver(ctx, actor, updateId, twin.id, { key: 'avatar.again' });
          await progress.update('avatar.working.done', { style: styleName });
          return { avatarId: twin.id, fromStorage: true };
        }
        if (outcome.status === 'refused') {
          // The "working…" message becomes the reason: one message per refused request.
          await tell(refusalBody(outcome.reason as ImageRefusal));
          return { refused: outcome.reason };
        }
        if (outcome.status === 'done') return { avatarId: outcome.result };
        return outcome;
      } catch (err) {
        await tellIfFinalFailure(deps, ctx, err, { service: 'avatar', key }, () => tell({ key: 'avatar.failed' }));
        throw err;
      }
    },

    'avatars.list': async ({ actor, updateId }, ctx) => {
      const user = ctx.user!;
      const lang = user.language;
      const sets = await avatars.list(user.id, AVATARS_LISTED);
      if (sets.length === 0) {
        await reply(enqueue, ctx, actor, updateId, { key: 'avatars.none' });
        return { avatars: 0 };
      }
      const jobId = `reply-${updateId ?? ctx.job.id}`;
      const numbered = sets.map((s, i) => ({ ...s, n: String(i + 1) }));
      // Thumbnails first (an album takes no buttons), then the list with the buttons under it.
      if (numbered.length === 1) {
        await enqueue('message.send', { chatId: actor.chatId, lang, photo: { avatarId: numbered[0]!.id, size: 128 }, text: '1' }, { jobId: `${jobId}-album` });
      } else {
        await enqueue('message.send', { chatId: actor.chatId, lang, album: numbered.map((s) => ({ avatarId: s.id, caption: s.n })) }, { jobId: `${jobId}-album` });
      }
      const lines = numbered
        .map((s) => `${s.n}. ${translate(lang, `style.${s.style}`)}, ${s.createdAt.toISOString().slice(0, 10)}${s.current ? ' ★' : ''}`)
        .join('\n');
      const keyboard = numberedActions(lang, sets.map((s) => s.id), [['button.avatar.current', CALLBACK.avatarCurrent], ['button.avatar.delete', CALLBACK.avatarDelete]]);
      await reply(enqueue, ctx, actor, updateId, { key: 'avatars.list', params: { lines }, replyMarkup: keyboard });
      return { avatars: sets.length };
    },

    'avatar.current': async ({ actor, updateId, avatarId }, ctx) => {
      const ok = await avatars.makeCurrent(ctx.user!.id, avatarId);
      await reply(enqueue, ctx, actor, updateId, { key: ok ? 'avatars.current' : 'avatars.gone' });
      return { current: ok };
    },

    'avatar.delete': async ({ actor, updateId, avatarId }, ctx) => {
      const ok = await avatars.delete(ctx.user!.id, avatarId);
      await reply(enqueue, ctx, actor, updateId, { key: ok ? 'avatars.deleted' : 'avatars.gone' });
      return { deleted: ok };
    },
  };
}
