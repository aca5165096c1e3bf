import { Composer } from 'telegraf';
import { message } from 'telegraf/filters';
import { AVATAR_STYLES, type AvatarStyle } from '../../shared/avatar-styles';
import type { BotContext } from '../context';

/**
 * Avatars, as a two-step dialog (FSM): a photo or a file arrives → its source waits in the dialog state and the
 * avatars worker offers the styles on buttons (or refuses at once what cannot be an image) → a style button starts
 * the paid `avatar.create`. A newer photo replaces the waiting one; a button under an older offer is answered
 * "send it again". `/avatars` lists, and its buttons make current or delete.
 */
export const avatarFeature = new Composer<BotContext>();

export const AVATAR_SOURCE = 'avatar.source';

avatarFeature.command('avatars', (ctx) => ctx.act('avatars.list', {}));

avatarFeature.on(message('photo'), async (ctx) => {
  // Telegram offers several sizes; the largest is the source.
  const largest = ctx.message.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  const source = { messageId: ctx.message.message_id, fileId: largest.file_id, fileUniqueId: largest.file_unique_id, width: largest.width, height: largest.height };
  ctx.dialog.set(AVATAR_SOURCE, largest.file_size === undefined ? source : { ...source, fileSize: largest.file_size });
  await ctx.act('avatar.offer', { messageId: source.messageId, kind: 'photo', fileSize: largest.file_size, width: largest.width, height: largest.height });
});

// An image sent as a file keeps its full resolution. An animation (GIF) comes as a document too, and is refused.
avatarFeature.on(message('document'), async (ctx) => {
  const doc = ctx.message.document;
  const source = { messageId: ctx.message.message_id, fileId: doc.file_id, fileUniqueId: doc.file_unique_id };
  ctx.dialog.set(AVATAR_SOURCE, doc.file_size === undefined ? source : { ...source, fileSize: doc.file_size });
  await ctx.act('avatar.offer', {
    messageId: source.messageId, kind: 'document', fileSize: doc.file_size, mimeType: doc.mime_type, fileName: doc.file_name,
    animated: 'animation' in ctx.message,
  });
});

avatarFeature.action(/^avatar:style:(\d{1,12}):([a-z]{1,16})$/, async (ctx) => {
  const messageId = Number(ctx.match[1]);
  const style = ctx.match[2] as AvatarStyle;
  const source = ctx.dialog.name === AVATAR_SOURCE ? ctx.dialog.data : undefined;
  if (!AVATAR_STYLES.includes(style) || source?.messageId !== messageId) {
    await ctx.act('account.reply', { key: 'avatar.choice_expired' });
    return;
  }
  // The dialog stays: another style for the same photo is one more tap.
  await ctx.act('avatar.create', {
    messageId,
    fileId: String(source.fileId),
    fileUniqueId: String(source.fileUniqueId),
    fileSize: typeof source.fileSize === 'number' ? source.fileSize : undefined,
    width: typeof source.width === 'number' ? source.width : undefined,
    height: typeof source.height === 'number' ? source.height : undefined,
    style,
  });
});

avatarFeature.action(/^avatar:(current|delete):(\d{1,12})$/, async (ctx) => {
  const avatarId = Number(ctx.match[2]);
  await ctx.act(ctx.match[1] === 'current' ? 'avatar.current' : 'avatar.delete', { avatarId });
});
