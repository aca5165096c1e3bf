import { Composer } from 'telegraf';
import { message } from 'telegraf/filters';
import type { BotContext } from '../context';

/** A photo becomes a paid `avatar.create` job (the largest size Telegram offers is the source). */
export const avatarFeature = new Composer<BotContext>();

avatarFeature.on(message('photo'), (ctx) => {
  const largest = ctx.message.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  return ctx.act('avatar.create', {
    messageId: ctx.message.message_id,
    fileId: largest.file_id,
    fileUniqueId: largest.file_unique_id,
    fileSize: largest.file_size,
    width: largest.width,
    height: largest.height,
  });
});
