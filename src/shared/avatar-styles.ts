/**
 * Avatar styles, sizes and formats: shared by the bot (style buttons), the catalogue (payloads) and the workers,
 * without loading sharp into every process.
 */
export const AVATAR_STYLES = ['square', 'circle', 'gray'] as const;
export type AvatarStyle = (typeof AVATAR_STYLES)[number];
/** Every set has each size in WebP and in its fallback format; the first is made from the source, the rest from it. */
export const AVATAR_SIZES = [512, 256, 128] as const;
export type AvatarSize = (typeof AVATAR_SIZES)[number];
export type AvatarFormat = 'webp' | 'jpeg' | 'png';

/** The widely readable twin of each WebP variant: JPEG, or PNG where transparency matters (the circle). */
export function fallbackFormat(style: AvatarStyle): 'jpeg' | 'png' {
  return style === 'circle' ? 'png' : 'jpeg';
}
