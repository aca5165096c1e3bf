import { Composer } from 'telegraf';
import { message } from 'telegraf/filters';
import { isAudioDocument } from '../../domain/transcripts/intake';
import type { ActionExtra, BotContext } from '../context';

/**
 * Transcripts: a voice message, an audio, a video note or an audio file (by its type or name) becomes a
 * `transcript.create` job at once — no dialog: the price per minute is in /prices and the reply says what was
 * charged. Other files fall through to avatars. `/transcripts` lists, and its buttons show again or delete.
 */
export const transcriptFeature = new Composer<BotContext>();

/** The transcript job, or, where this deployment runs without transcripts (FEATURES_OFF), a reply that says so. */
function transcribe(ctx: BotContext, extra: ActionExtra<'transcript.create'>): Promise<void> {
  return ctx.off.has('transcripts') ? ctx.act('account.reply', { key: 'transcripts.unavailable' }) : ctx.act('transcript.create', extra);
}

transcriptFeature.command('transcripts', (ctx) => ctx.act('transcripts.list', {}));

transcriptFeature.on(message('voice'), (ctx) => {
  const v = ctx.message.voice;
  return transcribe(ctx, {
    messageId: ctx.message.message_id, kind: 'voice', fileId: v.file_id, fileUniqueId: v.file_unique_id, fileSize: v.file_size, duration: v.duration, mimeType: v.mime_type,
  });
});

transcriptFeature.on(message('audio'), (ctx) => {
  const a = ctx.message.audio;
  return transcribe(ctx, {
    messageId: ctx.message.message_id, kind: 'audio', fileId: a.file_id, fileUniqueId: a.file_unique_id, fileSize: a.file_size, duration: a.duration, mimeType: a.mime_type,
  });
});

transcriptFeature.on(message('video_note'), (ctx) => {
  const v = ctx.message.video_note;
  return transcribe(ctx, {
    messageId: ctx.message.message_id, kind: 'video_note', fileId: v.file_id, fileUniqueId: v.file_unique_id, fileSize: v.file_size, duration: v.duration,
  });
});

transcriptFeature.on(message('document'), (ctx, next) => {
  const d = ctx.message.document;
  if (!isAudioDocument(d.mime_type, d.file_name)) return next();
  // A file declares no length: the worker learns it by decoding, before it holds the price.
  return transcribe(ctx, {
    messageId: ctx.message.message_id, kind: 'document', fileId: d.file_id, fileUniqueId: d.file_unique_id, fileSize: d.file_size, mimeType: d.mime_type,
  });
});

transcriptFeature.action(/^transcript:(show|delete):(\d{1,12})$/, async (ctx) => {
  const transcriptId = Number(ctx.match[2]);
  await ctx.act(ctx.match[1] === 'show' ? 'transcript.show' : 'transcript.delete', { transcriptId });
});
