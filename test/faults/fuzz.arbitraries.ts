import fc from 'fast-check';

/**
 * Random Bot API updates, well-formed as Telegram sends them (the types of the Bot API documentation) but with
 * random values: any text, commands with and without arguments, photos, voices, audio, documents, stickers and
 * other messages with random sizes, lengths and types, button presses with random callback data (also near our
 * own prefixes), pre-checkout queries and successful payments with random invoice payloads.
 */
export interface FuzzUpdate {
  /** What the invariants expect: a message is answered; a press or a pre-checkout may be a clean drop. */
  kind: 'message' | 'callback' | 'pre_checkout';
  lang: 'en' | 'ru' | 'de' | undefined;
  /** The update (without update_id) as user `userId` would cause it, in their private chat. */
  build(userId: number): Record<string, unknown>;
}

const COMMANDS = ['start', 'help', 'balance', 'prices', 'topup', 'history', 'usage', 'settings', 'avatars', 'transcripts', 'feedback', 'cancel', 'broadcast', 'stats', 'ban', 'unban', 'audit', 'grant', 'refund', 'backup'];
const PREFIXES = ['topup', 'topup:', 'history:', 'settings:lang:', 'settings:notify:', 'avatar:style:', 'avatar:current:', 'avatar:delete:', 'transcript:show:', 'transcript:delete:', ''];

const id = fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') });
const size = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 2_147_483_647 }));
const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ maxLength: 200, unit: 'grapheme' }),
  fc.string({ minLength: 4_000, maxLength: 4_096, unit: 'grapheme-ascii' }),
  fc.constantFrom('', ' ', '\u0000', '👍', 'привет', '<b>bold</b>', '*_`[', '\u202e'),
);
const command = fc.tuple(fc.oneof(fc.constantFrom(...COMMANDS), fc.stringMatching(/^[a-z_]{1,32}$/)), fc.option(fc.constantFrom('@switchyard_bot', '@other_bot')), fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.integer().map(String)), { maxLength: 6 }))
  .map(([name, at, args]) => `/${name}${at ?? ''}${args.length ? ` ${args.join(' ')}` : ''}`);

type Content = Record<string, unknown>;
const photo = fc.array(fc.record({ file_id: id, file_unique_id: id, width: size, height: size, file_size: fc.option(size, { nil: undefined }) }), { minLength: 1, maxLength: 4 });
const media: fc.Arbitrary<Content> = fc.oneof(
  fc.oneof(text, command).map((t) => ({ text: t, ...(t.startsWith('/') ? { entities: [{ type: 'bot_command', offset: 0, length: t.split(' ')[0]!.length }] } : {}) })),
  fc.record({ photo, caption: fc.option(text, { nil: undefined }) }),
  fc.record({ voice: fc.record({ file_id: id, file_unique_id: id, duration: size, mime_type: fc.option(fc.constantFrom('audio/ogg', 'audio/mpeg', 'video/mp4', 'x/y'), { nil: undefined }), file_size: fc.option(size, { nil: undefined }) }) }),
  fc.record({ audio: fc.record({ file_id: id, file_unique_id: id, duration: size, mime_type: fc.option(fc.constantFrom('audio/mpeg', 'audio/flac', 'x/y'), { nil: undefined }), file_size: fc.option(size, { nil: undefined }) }) }),
  fc.record({ video_note: fc.record({ file_id: id, file_unique_id: id, length: size, duration: size, file_size: fc.option(size, { nil: undefined }) }) }),
  fc.record({
    document: fc.record({
      file_id: id, file_unique_id: id,
      file_name: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('a.png', 'b.jpg', 'c.ogg', 'd.mp3', 'e.heic', 'f.txt', '.png')), { nil: undefined }),
      mime_type: fc.option(fc.constantFrom('image/png', 'image/jpeg', 'image/webp', 'audio/ogg', 'audio/mpeg', 'application/pdf', 'image/svg+xml', 'x/y'), { nil: undefined }),
      file_size: fc.option(size, { nil: undefined }),
    }),
  }),
  fc.record({ sticker: fc.record({ file_id: id, file_unique_id: id, type: fc.constant('regular'), width: size, height: size, is_animated: fc.boolean(), is_video: fc.boolean() }) }),
  fc.record({ location: fc.record({ latitude: fc.double({ min: -90, max: 90, noNaN: true }), longitude: fc.double({ min: -180, max: 180, noNaN: true }) }) }),
  fc.record({ contact: fc.record({ phone_number: fc.string({ maxLength: 20 }), first_name: fc.string({ minLength: 1, maxLength: 20 }) }) }),
  fc.record({ successful_payment: fc.record({ currency: fc.constantFrom('XTR', 'USD'), total_amount: size, invoice_payload: fc.string({ maxLength: 128 }), telegram_payment_charge_id: id, provider_payment_charge_id: fc.constant('') }) }),
);

const lang = fc.constantFrom<FuzzUpdate['lang']>('en', 'ru', 'de', undefined);
const from = (userId: number, l: FuzzUpdate['lang']) => ({ id: userId, is_bot: false, first_name: 'Fuzz', ...(l ? { language_code: l } : {}) });

const messageUpdate: fc.Arbitrary<FuzzUpdate> = fc.record({ content: media, messageId: fc.integer({ min: 1, max: 1_000_000 }), lang }).map(({ content, messageId, lang: l }) => ({
  kind: 'message' as const,
  lang: l,
  build: (userId: number) => ({ message: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: userId, type: 'private', first_name: 'Fuzz' }, from: from(userId, l), ...content } }),
}));

const callbackData = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.tuple(fc.constantFrom(...PREFIXES), fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }).map(String), fc.string({ maxLength: 30 })), fc.option(fc.constantFrom(':square', ':round', ':sketch', ':x', ''), { nil: '' }))
    .map(([p, v, s]) => `${p}${v}${s}`.slice(0, 64)),
);
const callbackUpdate: fc.Arbitrary<FuzzUpdate> = fc.record({ data: callbackData, qid: id, messageId: fc.integer({ min: 1, max: 1_000_000 }), lang }).map(({ data, qid, messageId, lang: l }) => ({
  kind: 'callback' as const,
  lang: l,
  build: (userId: number) => ({
    callback_query: { id: qid, from: from(userId, l), chat_instance: 'fuzz', data, message: { message_id: messageId, date: 1, chat: { id: userId, type: 'private', first_name: 'Fuzz' } } },
  }),
}));

const preCheckoutUpdate: fc.Arbitrary<FuzzUpdate> = fc.record({ qid: id, payload: fc.string({ maxLength: 128 }), currency: fc.constantFrom('XTR', 'USD', ''), amount: size, lang }).map(({ qid, payload, currency, amount, lang: l }) => ({
  kind: 'pre_checkout' as const,
  lang: l,
  build: (userId: number) => ({ pre_checkout_query: { id: qid, from: from(userId, l), currency, total_amount: amount, invoice_payload: payload } }),
}));

export const botUpdate: fc.Arbitrary<FuzzUpdate> = fc.oneof({ arbitrary: messageUpdate, weight: 6 }, { arbitrary: callbackUpdate, weight: 2 }, { arbitrary: preCheckoutUpdate, weight: 1 });

/** Bodies a webhook must survive: random JSON, updates with fields of the wrong type, not JSON at all. */
export const garbageJson: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ update_id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), message: fc.jsonValue(), callback_query: fc.jsonValue() }, { requiredKeys: ['update_id'] }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 300 }),
);
