import type { Dictionary } from '../i18n/dictionary';

/**
 * Texts of avatars: offers, styles, refusals, the list (src/domain/avatars), in English and Russian with the same keys. Assembled by
 * src/domain/i18n/messages.ts, which refuses to load when a key lacks a language (docs/I18N.md).
 */
export const en: Dictionary = {
  'avatar.done': 'Your avatar is ready: {price:coin} {price|one:was|other:were} charged.',
  'avatar.not_image': 'I could not read this as an image. Please send a JPEG or PNG photo. You were not charged.',
  'avatar.too_large': 'This image is too large (files up to 20 MB, up to {megapixels:megapixel}). You were not charged.',
  'avatar.too_small': 'This image is too small for an avatar (at least 64 × 64 pixels). You were not charged.',
  'avatar.unsupported': 'This image format is not supported. Please send a JPEG, PNG, WebP, GIF, TIFF or AVIF image. You were not charged.',
  'avatar.corrupt': 'This image file is damaged or incomplete, so I cannot read it. Please send it again. You were not charged.',
  'avatar.animated': 'Animated images and videos cannot become avatars. Please send a still photo. You were not charged.',
  'avatar.svg': 'SVG files are not accepted: they can carry scripts and links. Please send a JPEG or PNG. You were not charged.',
  'avatar.choose': 'Which style? An avatar costs {price:coin}.',
  'avatar.choice_expired': 'That choice has expired. Please send the photo again.',
  'avatar.working': '⏳ Making your avatar ({style})…',
  'avatar.working.done': '✅ Avatar ready ({style}).',
  'avatar.again': 'You made this avatar before: here it is again, free of charge.',
  'avatar.failed': 'Something went wrong while making your avatar. You were not charged; please try again later.',
  'style.square': 'Square',
  'style.circle': 'Circle',
  'style.gray': 'Black & white',
  'avatars.none': 'You have no avatars yet. Send a photo to make one.',
  'avatars.list': 'Your avatars (★ is the current one):\n{lines}',
  'avatars.current': 'This avatar is now your current one.',
  'avatars.deleted': 'Avatar deleted, with all its stored files.',
  'avatars.gone': 'That avatar no longer exists.',
  'button.avatar.current': '★ {n}',
  'button.avatar.delete': '🗑 {n}',
};

export const ru: Dictionary = {
  'avatar.done': 'Ваш аватар готов: {price|one:списана|few:списаны|many:списано|other:списано} {price:coin}.',
  'avatar.not_image': 'Не удалось прочитать это как изображение. Пришлите фото в JPEG или PNG. Монеты не списаны.',
  'avatar.too_large': 'Изображение слишком большое (файлы до 20 МБ, до {megapixels:megapixel.gen}). Монеты не списаны.',
  'avatar.too_small': 'Изображение слишком маленькое для аватара (нужно хотя бы 64 × 64 пикселя). Монеты не списаны.',
  'avatar.unsupported': 'Этот формат изображений не поддерживается. Пришлите JPEG, PNG, WebP, GIF, TIFF или AVIF. Монеты не списаны.',
  'avatar.corrupt': 'Файл изображения повреждён или обрезан, прочитать его не получается. Пришлите его ещё раз. Монеты не списаны.',
  'avatar.animated': 'Анимация и видео не подходят для аватара. Пришлите обычное фото. Монеты не списаны.',
  'avatar.svg': 'Файлы SVG не принимаются: в них могут быть скрипты и ссылки. Пришлите JPEG или PNG. Монеты не списаны.',
  'avatar.choose': 'Какой стиль? Аватар стоит {price:coin.acc}.',
  'avatar.choice_expired': 'Этот выбор устарел. Пришлите фото ещё раз.',
  'avatar.working': '⏳ Делаю аватар ({style})…',
  'avatar.working.done': '✅ Аватар готов ({style}).',
  'avatar.again': 'Вы уже делали этот аватар: вот он снова, бесплатно.',
  'avatar.failed': 'Не удалось сделать аватар. Монеты не списаны; попробуйте позже.',
  'style.square': 'Квадрат',
  'style.circle': 'Круг',
  'style.gray': 'Чёрно-белый',
  'avatars.none': 'У вас пока нет аватаров. Пришлите фото, чтобы сделать первый.',
  'avatars.list': 'Ваши аватары (★ — текущий):\n{lines}',
  'avatars.current': 'Теперь это ваш текущий аватар.',
  'avatars.deleted': 'Аватар удалён вместе со всеми сохранёнными файлами.',
  'avatars.gone': 'Такого аватара больше нет.',
  'button.avatar.current': '★ {n}',
  'button.avatar.delete': '🗑 {n}',
};
