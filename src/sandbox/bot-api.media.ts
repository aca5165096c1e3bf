import type { Ctx, Handler } from './bot-api.core';
import { captionFields, checkCaption, outgoing } from './bot-api.messages';
import type { Upload } from './bot-api.params';
import { assignPath, describeFile, registerFile } from './sandbox.files';
import type { FileKind, FileMeta, FileRec, Json, Message, TgFile } from './sandbox.types';
import { badRequest, compact, queryId } from './sandbox.util';

const MIME_BY_EXT: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', json: 'application/json', zip: 'application/zip',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  mp3: 'audio/mpeg', ogg: 'audio/ogg', oga: 'audio/ogg', m4a: 'audio/mp4', mp4: 'video/mp4',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/**
 * Multipart clients (telegraf included) often omit the part's content type or send a generic one; like Telegram,
 * which decides the type itself, a known extension wins over what the client said.
 */
export function guessMime(fileName: string | undefined, given?: string): string | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName ?? '')?.[1]?.toLowerCase();
  return (ext && MIME_BY_EXT[ext]) ?? given;
}

function fromUpload(ctx: Ctx, kind: FileKind, upload: Upload, meta: FileMeta): FileRec {
  // Telegram re-encodes photos and drops their names; other kinds keep the uploaded name.
  const name = kind === 'photo' ? undefined : upload.originalname || undefined;
  return registerFile(ctx.bot, kind, upload.buffer, {
    ...meta, file_name: name, mime_type: kind === 'photo' ? undefined : guessMime(name, upload.mimetype),
  });
}

async function fromUrl(ctx: Ctx, kind: FileKind, url: string, meta: FileMeta): Promise<FileRec> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([AbortSignal.timeout(10_000), ctx.bot.sandbox.closeSignal]) });
    if (!res.ok) throw new Error(String(res.status));
    const bytes = Buffer.from(await res.arrayBuffer());
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || undefined;
    return registerFile(ctx.bot, kind, bytes, {
      ...meta, file_name: kind === 'photo' ? undefined : name,
      mime_type: guessMime(name, res.headers.get('content-type')?.split(';')[0]),
    });
  } catch {
    throw badRequest('failed to get HTTP URL content');
  }
}

/**
 * InputFile resolution: an upload in the part named like the field, "attach://<part>",
 * an HTTP(S) URL, or an existing file_id of this bot.
 */
export async function resolveInput(ctx: Ctx, value: unknown, field: string | undefined, kind: FileKind, meta: FileMeta = {}): Promise<FileRec> {
  const uploads = ctx.params.uploads;
  if ((value === undefined || value === '') && field && uploads.has(field)) {
    return fromUpload(ctx, kind, uploads.get(field)!, meta);
  }
  if (typeof value !== 'string' || value === '') throw badRequest(`there is no ${kind} in the request`);
  if (value.startsWith('attach://')) {
    const upload = uploads.get(value.slice('attach://'.length));
    if (!upload) throw badRequest(`can't find attached file "${value.slice(9)}"`);
    return fromUpload(ctx, kind, upload, meta);
  }
  if (/^https?:\/\//i.test(value)) return fromUrl(ctx, kind, value, meta);
  const rec = ctx.bot.files.get(value);
  if (!rec) throw badRequest('wrong file identifier/HTTP URL specified');
  if (rec.kind !== kind) throw badRequest('type of file mismatch');
  return rec;
}

function sendFile(kind: FileKind): Handler {
  return async (ctx: Ctx): Promise<Message> => {
    const { bot, params } = ctx;
    const chat = bot.targetChat(params.value('chat_id'));
    const caption = kind === 'video_note' ? {} : captionFields(params);
    const { fields, extra } = outgoing(ctx, chat);
    const meta: FileMeta & { performer?: string; title?: string } = compact({
      duration: params.int('duration'), width: params.int('width'), height: params.int('height'),
      length: params.int('length'), performer: params.str('performer'), title: params.str('title'),
    });
    const rec = await resolveInput(ctx, params.value(kind), kind, kind, meta);
    bot.spend(chat.id, 1);
    return bot.addMessage(chat, { ...fields, [kind]: describeFile(rec, meta), ...caption }, extra).message;
  };
}

const GROUPABLE = new Set(['photo', 'video', 'document', 'audio']);

async function sendMediaGroup(ctx: Ctx): Promise<Message[]> {
  const { bot, params } = ctx;
  const chat = bot.targetChat(params.value('chat_id'));
  const media = params.json<Json[]>('media');
  if (!Array.isArray(media)) throw badRequest("can't parse media JSON object");
  if (media.length < 2 || media.length > 10) throw badRequest('wrong number of media: an album must include 2-10 items');
  const types = media.map((m) => String(m?.type));
  if (types.some((t) => !GROUPABLE.has(t))) throw badRequest('wrong type of media in the album');
  for (const only of ['document', 'audio']) {
    if (types.includes(only) && types.some((t) => t !== only)) {
      throw badRequest(`${only} can't be mixed with other media types`);
    }
  }
  for (const m of media) checkCaption(typeof m.caption === 'string' ? m.caption : undefined);
  const { fields, extra } = outgoing(ctx, chat);
  const files = await Promise.all(media.map((m) => resolveInput(ctx, m.media, undefined, m.type as FileKind, compact({
    duration: m.duration as number | undefined, width: m.width as number | undefined, height: m.height as number | undefined,
  }))));
  // Telegram counts every album item against the flood limits.
  bot.spend(chat.id, media.length);
  const groupId = queryId();
  return media.map((m, i) => {
    const caption = typeof m.caption === 'string' && m.caption !== '' ? m.caption : undefined;
    const entities = Array.isArray(m.caption_entities) && m.caption_entities.length ? m.caption_entities : undefined;
    return bot.addMessage(chat, {
      ...fields, media_group_id: groupId, [files[i].kind]: describeFile(files[i]),
      caption, caption_entities: caption ? entities : undefined,
    }, { ...extra, parse_mode: typeof m.parse_mode === 'string' ? m.parse_mode : undefined }).message;
  });
}

function getFile({ bot, params }: Ctx): TgFile {
  const rec = bot.files.get(params.str('file_id') ?? '');
  if (!rec) throw badRequest('invalid file_id');
  // Bots may only download files up to 20 MB through the cloud Bot API.
  if (rec.size > bot.sandbox.maxFileBytes) throw badRequest('file is too big');
  return { file_id: rec.file_id, file_unique_id: rec.file_unique_id, file_size: rec.size, file_path: assignPath(bot, rec) };
}

export const mediaMethods: Record<string, Handler> = {
  sendPhoto: sendFile('photo'),
  sendDocument: sendFile('document'),
  sendAudio: sendFile('audio'),
  sendVoice: sendFile('voice'),
  sendVideo: sendFile('video'),
  sendVideoNote: sendFile('video_note'),
  sendMediaGroup,
  getFile,
};
