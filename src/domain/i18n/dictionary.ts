/** One language's texts of one feature: key → template (placeholders: docs/I18N.md). */
export type Dictionary = Record<string, string>;
