import type { Dictionary } from '../i18n/dictionary';

/**
 * Texts of transcripts: progress, refusals, the list (src/domain/transcripts), in English and Russian with the same keys. Assembled by
 * src/domain/i18n/messages.ts, which refuses to load when a key lacks a language (docs/I18N.md).
 */
export const en: Dictionary = {
  'transcripts.unavailable': 'Transcripts are not available on this server, so I cannot turn this into text. You were not charged.',
  'transcript.working': '🎙 Transcribing {duration}…',
  'transcript.working.done': '✅ Transcribed {duration}: {price:coin} {price|one:was|other:were} charged.',
  'transcript.header': '📝 Transcript ({duration}):',
  'transcript.header.again': '📝 Transcript ({duration}) — you sent this recording before, so it is free:',
  'transcript.not_audio': 'This is not audio I can read. Please send a voice message or an audio file (OGG, MP3, M4A, WAV, FLAC). You were not charged.',
  'transcript.empty': 'This recording is empty. You were not charged.',
  'transcript.corrupt': 'This audio file is damaged or incomplete, so I cannot read it. Please send it again. You were not charged.',
  'transcript.too_long': 'This recording is too long: the limit is {max}. You were not charged.',
  'transcript.too_large': 'This file is too large: I can download files up to 20 MB. You were not charged.',
  'transcript.no_speech': 'I heard no speech in this recording. You were not charged.',
  'transcript.failed': 'Something went wrong while transcribing. You were not charged; please try again later.',
  'transcripts.none': 'You have no transcripts yet. Send a voice message to make one.',
  'transcripts.list': 'Your latest transcripts:\n{lines}',
  'transcripts.deleted': 'Transcript deleted.',
  'transcripts.gone': 'That transcript no longer exists.',
  'button.transcript.show': '📄 {n}',
  'button.transcript.delete': '🗑 {n}',
};

export const ru: Dictionary = {
  'transcripts.unavailable': 'Расшифровка недоступна на этом сервере, поэтому я не могу превратить это в текст. Монеты не списаны.',
  'transcript.working': '🎙 Расшифровываю {duration}…',
  'transcript.working.done': '✅ Расшифровано {duration}: {price|one:списана|few:списаны|many:списано|other:списано} {price:coin}.',
  'transcript.header': '📝 Расшифровка ({duration}):',
  'transcript.header.again': '📝 Расшифровка ({duration}) — эту запись вы уже присылали, поэтому бесплатно:',
  'transcript.not_audio': 'Это не аудио, которое я могу прочитать. Пришлите голосовое сообщение или аудиофайл (OGG, MP3, M4A, WAV, FLAC). Монеты не списаны.',
  'transcript.empty': 'Запись пустая. Монеты не списаны.',
  'transcript.corrupt': 'Аудиофайл повреждён или обрезан, прочитать его не получается. Пришлите его ещё раз. Монеты не списаны.',
  'transcript.too_long': 'Запись слишком длинная: предел — {max}. Монеты не списаны.',
  'transcript.too_large': 'Файл слишком большой: я могу скачивать файлы до 20 МБ. Монеты не списаны.',
  'transcript.no_speech': 'В этой записи не слышно речи. Монеты не списаны.',
  'transcript.failed': 'Не удалось расшифровать запись. Монеты не списаны; попробуйте позже.',
  'transcripts.none': 'У вас пока нет расшифровок. Пришлите голосовое сообщение, чтобы сделать первую.',
  'transcripts.list': 'Ваши последние расшифровки:\n{lines}',
  'transcripts.deleted': 'Расшифровка удалена.',
  'transcripts.gone': 'Такой расшифровки больше нет.',
  'button.transcript.show': '📄 {n}',
  'button.transcript.delete': '🗑 {n}',
};
