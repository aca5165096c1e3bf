import type { Dictionary } from '../i18n/dictionary';

/**
 * Texts of backups and their restore drills (src/domain/backups), in English and Russian with the same keys. Assembled by
 * src/domain/i18n/messages.ts, which refuses to load when a key lacks a language (docs/I18N.md).
 */
export const en: Dictionary = {
  'backups.unavailable': 'Backups are not available on this server: pg_dump or pg_restore is missing. Nothing was queued.',
  'backup.busy': 'Another backup or restore drill is running, so this backup was not started. Try again in a few minutes.',
  'backup.done': '💾 Backup #{id} written: {size} MB, sha256 {sha}…, {seconds} s. Its restore drill follows.',
  'backup.failed': '❌ The backup failed: {reason}',
  'backup.verified': '✅ Backup #{id} passed its restore drill: {tables:table} and {rows:row} match the database at dump time ({seconds} s).',
  'backup.drill_failed': '❌ Backup #{id} FAILED its restore drill: {reason}',
};

export const ru: Dictionary = {
  'backups.unavailable': 'Резервное копирование недоступно на этом сервере: нет pg_dump или pg_restore. Ничего не поставлено в очередь.',
  'backup.busy': 'Уже идёт другое резервное копирование или проверка, поэтому эта копия не запущена. Попробуйте через несколько минут.',
  'backup.done': '💾 Резервная копия №{id} записана: {size} МБ, sha256 {sha}…, {seconds} с. Следом — проверочное восстановление.',
  'backup.failed': '❌ Резервное копирование не удалось: {reason}',
  'backup.verified': '✅ Резервная копия №{id} прошла проверочное восстановление: {tables:table} и {rows:row} совпадают с базой на момент копирования ({seconds} с).',
  'backup.drill_failed': '❌ Резервная копия №{id} НЕ прошла проверочное восстановление: {reason}',
};
