import { LANGUAGES, type Language } from '../../jobs/payloads';
import { PLACEHOLDER, pluralForm, pluralNoun, templateProblems } from './plurals';
import { UnknownTemplateError } from '../../shared/errors';

type Dictionary = Record<string, string>;

// Keep keys in step: test/unit/i18n.test.ts fails when a key is missing in one language.
const en: Dictionary = {
  welcome: 'Welcome to Switchyard! 👋\nI turn your requests into jobs and report back when they are done.\nSend /help to see what I can do.',
  'welcome.back': 'Welcome back! Send /help to see what I can do.',
  'welcome.bonus': 'You got {coins:coin} to start with. /balance shows them, /prices what things cost.',
  balance: 'Your balance: {coins:coin}.',
  prices: 'Prices:\nTranscript: {transcript:coin} per started minute\nAvatar: {avatar:coin}',
  help: 'What I can do:\n/start — register and get a welcome\n/help — this list\n/balance — your coins\n/topup — buy coins with Telegram Stars\n/history — your coin movements\n/usage — paid services you used\n/prices — what things cost\n/avatars — your avatars (send a photo to make one)\n/transcripts — your transcripts (send a voice message to make one)\n/settings — language and notifications\n/feedback — write to the team\n/paysupport — help with a payment\n/terms — terms of coins and Stars\n/cancel — stop the current dialog',
  paysupport:
    'Help with a payment\n' +
    'Coins did not arrive, you paid twice, or you want your Stars back? Send /feedback and write what happened, with the payment id from the thank-you message ("Payment id (for support): …"). The team looks into every payment message.\n' +
    'Refunds: a payment whose coins you have not spent is refunded in full, in Telegram Stars, and its coins are taken back. Coins already spent are not refunded. A transcript or avatar that fails costs nothing: its coins come back by themselves.\n' +
    'Telegram support cannot help with purchases made in this bot. The terms: /terms',
  terms:
    'Terms of service: coins and Telegram Stars\n' +
    '1. Coins pay for the services of this bot (transcripts, avatars; /prices shows what each costs). Coins are not money: they cannot be exchanged for money or Stars (except by a refund, point 4) and cannot be passed to another user.\n' +
    '2. You buy coins with Telegram Stars through /topup; each package says how many coins it gives for how many Stars. The coins are credited as soon as Telegram confirms the payment.\n' +
    '3. What is charged when: a paid request holds its price before the work starts, and it is charged only when the result is made. If the work fails, or the file cannot be used, the coins come back. A transcript is charged per started minute of the recording. The same photo in the same style, or a recording you sent before, is free again.\n' +
    '4. Refunds: a payment whose coins are unspent is refunded in full, in Stars, on request through /feedback with its payment id (see /paysupport); its coins are taken back. Spent coins, the welcome bonus and coins given by the team are not refunded.\n' +
    '5. An account that abuses the bot may be blocked; payments made while blocked are refunded.\n' +
    '6. Prices and packages may change; a change does not touch the coins you have or a payment already made.',
  cancelled: 'Cancelled. Send /help to see what I can do.',
  'feedback.prompt': 'Write your feedback in one message. Send /cancel to stop.',
  'feedback.thanks': 'Thank you! Your feedback reached the team.',
  'feedback.forward': 'Feedback from user {user}:\n{text}',
  'unknown.command': 'I do not know the command {command}. Send /help to see what I can do.',
  'unknown.text': 'I only understand commands for now. Send /help to see them.',
  unsupported: 'I cannot handle this kind of message yet. Send /help to see what I can do.',
  'transcripts.unavailable': 'Transcripts are not available on this server, so I cannot turn this into text. You were not charged.',
  'backups.unavailable': 'Backups are not available on this server: pg_dump or pg_restore is missing. Nothing was queued.',
  'rate.limited': 'You are sending messages too fast. Please wait a minute; I will answer new messages after that.',
  'admin.refused': 'This command is for administrators only.',
  'admin.usage': 'Usage: {usage}',
  'admin.banned': 'User {user} is banned: their messages are ignored from now on.',
  'admin.unbanned': 'User {user} is active again.',
  'admin.unknown_user': 'No user with Telegram id {user} has written to the bot.',
  'admin.granted': 'Granted {coins:coin} to user {user}; their balance is now {balance}.',
  'admin.grant_refused': 'Not done: user {user} has only {balance:coin}.',
  'admin.stats': 'Users: {users} (active {active}, blocked the bot {blocked}, banned {banned})\nQueues (waiting / active / failed):\n{queues}\nJobs failed in the last 24 h: {failed24h}\nNewest verified backup: {backup}{off}',
  'admin.stats.off': '\nOff on this server: {features}',
  'admin.stats.backup': '#{id}, {hours} h ago ({size} MB)',
  'admin.stats.no_backup': 'none yet (/backup makes one)',
  'admin.backup_queued': 'Backup queued. I will tell you when the file is written and again when its restore drill is done.',
  'backup.busy': 'Another backup or restore drill is running, so this backup was not started. Try again in a few minutes.',
  'backup.done': '💾 Backup #{id} written: {size} MB, sha256 {sha}…, {seconds} s. Its restore drill follows.',
  'backup.failed': '❌ The backup failed: {reason}',
  'backup.verified': '✅ Backup #{id} passed its restore drill: {tables:table} and {rows:row} match the database at dump time ({seconds} s).',
  'backup.drill_failed': '❌ Backup #{id} FAILED its restore drill: {reason}',
  'admin.audit': 'Latest audit events:\n{events}',
  'admin.audit.empty': 'The audit trail is empty.',
  'admin.logs': 'Critical log ({filter}), newest first:\n{entries}',
  'admin.logs.empty': 'The critical log ({filter}) is empty.',
  'broadcast.usage': 'Usage: /broadcast <text to send to every active user>',
  'progress.working': 'Working on it… {percent}',
  'progress.done': 'Done.',
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
  'button.topup': 'Top up',
  'button.older': 'Older ›',
  'button.newer': '‹ Newer',
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
  'button.lang.en': 'English',
  'button.lang.ru': 'Русский',
  'button.notify.on': '🔔 Notifications on',
  'button.notify.off': '🔕 Notifications off',
  'topup.offer': 'Choose a package. You pay in Telegram Stars; the coins arrive as soon as the payment goes through.',
  'topup.package': '{coins:coin} — {stars} ⭐',
  'invoice.title': '{coins:coin}',
  'invoice.description': '{coins} Switchyard {coins|one:coin|other:coins} for transcripts and avatars.',
  'topup.thanks': 'Thank you! {coins:coin} {coins|one:was|other:were} added. Your balance: {balance:coin}.\nPayment id (for support): {charge}',
  'payment.problem': 'We received your payment but could not match it to an invoice. The team has been told and will sort it out.',
  'checkout.forged': 'This invoice was not issued by the bot or was altered. Please get a new one with /topup.',
  'checkout.package': 'This package is no longer offered. Please choose again with /topup.',
  'checkout.amount': 'The amount does not match the package. Please get a new invoice with /topup.',
  'checkout.currency': 'Only Telegram Stars are accepted. Please get a new invoice with /topup.',
  'checkout.user': 'This invoice was issued to someone else. Please get your own with /topup.',
  'billing.insufficient': 'Not enough coins: {service} costs {price}, you have {balance}. Top up to continue.',
  'billing.low': 'Your balance is low: {balance:coin}. Top up to keep using paid services.',
  'billing.expired': 'This request waited too long and was cancelled; you were not charged. Please send it again.',
  'history.page': 'Your coins, newest first (page {page}):\n{entries}',
  'history.empty': 'No coin movements yet.',
  'ledger.bonus': 'welcome bonus',
  'ledger.topup': 'top-up',
  'ledger.hold': 'held for',
  'ledger.capture': 'paid',
  'ledger.release': 'returned',
  'ledger.refund': 'refund',
  'ledger.grant': 'from the team',
  'ledger.debit': 'debit',
  'usage': 'Paid services you used:\n{lines}\nSpent in total: {total:coin}.',
  'usage.line': '{service}: {count} × — {coins:coin}',
  'usage.empty': 'You have not used paid services yet. /prices shows what they cost.',
  'service.avatar': 'Avatar',
  'service.transcript': 'Transcript',
  settings: 'Settings\nLanguage: English\nNotifications (broadcasts, low-balance notices): {notifications}',
  'settings.on': 'on',
  'settings.off': 'off',
  'admin.refunded': 'Refunded {stars} ⭐ of payment {charge} to user {user}; {coins:coin} taken back, their balance is now {balance}.',
  'admin.refund_unknown': 'No payment with charge id {charge}.',
  'admin.refund_refused': 'Not refunded: Telegram refused the refund of {charge} ({reason}). The coins were given back.',
  'admin.refund_already': 'Payment {charge} was refunded already.',
  'admin.refund_spent': 'Not refunded: the user has spent the coins (balance {balance}, the payment gave {coins}).',
  'broadcast.report': 'Broadcast finished: {sent} sent, {blocked} blocked the bot or left, {failed} failed — of {total}.',
};

const ru: Dictionary = {
  welcome: 'Добро пожаловать в Switchyard! 👋\nЯ превращаю ваши запросы в задания и сообщаю, когда они готовы.\nОтправьте /help, чтобы узнать, что я умею.',
  'welcome.back': 'С возвращением! Отправьте /help, чтобы узнать, что я умею.',
  'welcome.bonus': 'Вам {coins|one:начислена|few:начислены|many:начислено|other:начислено} {coins:coin} для начала. /balance — баланс, /prices — цены.',
  balance: 'Ваш баланс: {coins:coin}.',
  prices: 'Цены:\nРасшифровка: {transcript:coin} за начатую минуту\nАватар: {avatar:coin}',
  help: 'Что я умею:\n/start — регистрация и приветствие\n/help — этот список\n/balance — ваши монеты\n/topup — купить монеты за Telegram Stars\n/history — движение монет\n/usage — использованные платные услуги\n/prices — цены\n/avatars — ваши аватары (пришлите фото, чтобы сделать новый)\n/transcripts — ваши расшифровки (пришлите голосовое, чтобы сделать новую)\n/settings — язык и уведомления\n/feedback — написать команде\n/paysupport — помощь с оплатой\n/terms — условия для монет и Stars\n/cancel — прервать текущий диалог',
  paysupport:
    'Помощь с оплатой\n' +
    'Монеты не пришли, оплата прошла дважды или вы хотите вернуть Stars? Отправьте /feedback и опишите, что случилось, указав номер платежа из сообщения с благодарностью («Номер платежа (для поддержки): …»). Команда разбирает каждое сообщение об оплате.\n' +
    'Возвраты: платёж, монеты которого вы не потратили, возвращается полностью в Telegram Stars, а его монеты списываются. Потраченные монеты не возвращаются. Если расшифровка или аватар не получились, они ничего не стоят: монеты возвращаются сами.\n' +
    'Поддержка Telegram не помогает с покупками в этом боте. Условия: /terms',
  terms:
    'Условия использования: монеты и Telegram Stars\n' +
    '1. Монеты — оплата услуг этого бота (расшифровки, аватары; /prices — сколько что стоит). Монеты не деньги: их нельзя обменять на деньги или Stars (кроме возврата, пункт 4) и нельзя передать другому пользователю.\n' +
    '2. Монеты покупаются за Telegram Stars через /topup; в каждом пакете указано, сколько монет он даёт и за сколько Stars. Монеты зачисляются, как только Telegram подтверждает оплату.\n' +
    '3. Что и когда списывается: цена платного запроса резервируется до начала работы и списывается, только когда результат готов. Если работа не удалась или файл не подходит, монеты возвращаются. Расшифровка оплачивается за каждую начатую минуту записи. То же фото в том же стиле или уже присланная запись — снова бесплатно.\n' +
    '4. Возвраты: платёж, монеты которого не потрачены, возвращается полностью в Stars по запросу через /feedback с номером платежа (см. /paysupport); его монеты списываются. Потраченные монеты, приветственный бонус и монеты от команды не возвращаются.\n' +
    '5. Аккаунт, который злоупотребляет ботом, может быть заблокирован; платежи, сделанные во время блокировки, возвращаются.\n' +
    '6. Цены и пакеты могут меняться; изменения не касаются уже имеющихся монет и уже сделанных платежей.',
  cancelled: 'Отменено. Отправьте /help, чтобы узнать, что я умею.',
  'feedback.prompt': 'Напишите отзыв одним сообщением. Отправьте /cancel, чтобы отменить.',
  'feedback.thanks': 'Спасибо! Ваш отзыв получен командой.',
  'feedback.forward': 'Отзыв от пользователя {user}:\n{text}',
  'unknown.command': 'Я не знаю команду {command}. Отправьте /help, чтобы узнать, что я умею.',
  'unknown.text': 'Пока я понимаю только команды. Отправьте /help, чтобы их увидеть.',
  unsupported: 'Такие сообщения я пока не обрабатываю. Отправьте /help, чтобы узнать, что я умею.',
  'transcripts.unavailable': 'Расшифровка недоступна на этом сервере, поэтому я не могу превратить это в текст. Монеты не списаны.',
  'backups.unavailable': 'Резервное копирование недоступно на этом сервере: нет pg_dump или pg_restore. Ничего не поставлено в очередь.',
  'rate.limited': 'Вы отправляете сообщения слишком часто. Подождите минуту — после этого я отвечу на новые сообщения.',
  'admin.refused': 'Эта команда только для администраторов.',
  'admin.usage': 'Использование: {usage}',
  'admin.banned': 'Пользователь {user} заблокирован: его сообщения больше не обрабатываются.',
  'admin.unbanned': 'Пользователь {user} снова активен.',
  'admin.unknown_user': 'Пользователь с Telegram id {user} боту не писал.',
  'admin.granted': 'Пользователю {user} {coins|one:начислена|few:начислены|many:начислено|other:начислено} {coins:coin}; теперь у него {balance:coin}.',
  'admin.grant_refused': 'Не выполнено: у пользователя {user} только {balance:coin}.',
  'admin.stats': 'Пользователи: {users} (активны {active}, заблокировали бота {blocked}, забанены {banned})\nОчереди (ждут / в работе / с ошибкой):\n{queues}\nЗаданий с ошибкой за 24 ч: {failed24h}\nПоследняя проверенная резервная копия: {backup}{off}',
  'admin.stats.off': '\nОтключено на этом сервере: {features}',
  'admin.stats.backup': '№{id}, {hours} ч назад ({size} МБ)',
  'admin.stats.no_backup': 'пока нет (/backup создаст её)',
  'admin.backup_queued': 'Резервная копия поставлена в очередь. Я сообщу, когда файл будет записан, и ещё раз — после проверочного восстановления.',
  'backup.busy': 'Уже идёт другое резервное копирование или проверка, поэтому эта копия не запущена. Попробуйте через несколько минут.',
  'backup.done': '💾 Резервная копия №{id} записана: {size} МБ, sha256 {sha}…, {seconds} с. Следом — проверочное восстановление.',
  'backup.failed': '❌ Резервное копирование не удалось: {reason}',
  'backup.verified': '✅ Резервная копия №{id} прошла проверочное восстановление: {tables:table} и {rows:row} совпадают с базой на момент копирования ({seconds} с).',
  'backup.drill_failed': '❌ Резервная копия №{id} НЕ прошла проверочное восстановление: {reason}',
  'admin.audit': 'Последние события аудита:\n{events}',
  'admin.audit.empty': 'Журнал аудита пуст.',
  'admin.logs': 'Журнал критических событий ({filter}), сначала новые:\n{entries}',
  'admin.logs.empty': 'Журнал критических событий ({filter}) пуст.',
  'broadcast.usage': 'Использование: /broadcast <текст для всех активных пользователей>',
  'progress.working': 'Работаю… {percent}',
  'progress.done': 'Готово.',
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
  'button.topup': 'Пополнить',
  'button.older': 'Раньше ›',
  'button.newer': '‹ Позже',
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
  'button.lang.en': 'English',
  'button.lang.ru': 'Русский',
  'button.notify.on': '🔔 Уведомления вкл.',
  'button.notify.off': '🔕 Уведомления выкл.',
  'topup.offer': 'Выберите пакет. Оплата в Telegram Stars; монеты придут сразу после оплаты.',
  'topup.package': '{coins:coin} — {stars} ⭐',
  'invoice.title': '{coins:coin}',
  'invoice.description': '{coins:coin} Switchyard для расшифровок и аватаров.',
  'topup.thanks': 'Спасибо! {coins|one:Начислена|few:Начислены|many:Начислено|other:Начислено} {coins:coin}. Ваш баланс: {balance:coin}.\nНомер платежа (для поддержки): {charge}',
  'payment.problem': 'Мы получили вашу оплату, но не смогли сопоставить её со счётом. Команда уже знает и разберётся.',
  'checkout.forged': 'Этот счёт выставлен не ботом или был изменён. Получите новый через /topup.',
  'checkout.package': 'Этого пакета больше нет. Выберите снова через /topup.',
  'checkout.amount': 'Сумма не совпадает с пакетом. Получите новый счёт через /topup.',
  'checkout.currency': 'Принимаются только Telegram Stars. Получите новый счёт через /topup.',
  'checkout.user': 'Этот счёт выставлен другому пользователю. Получите свой через /topup.',
  'billing.insufficient': 'Не хватает монет: {service} стоит {price}, у вас {balance}. Пополните баланс, чтобы продолжить.',
  'billing.low': 'Баланс почти исчерпан: {balance:coin}. Пополните его, чтобы пользоваться платными услугами.',
  'billing.expired': 'Запрос ждал слишком долго и отменён; монеты не списаны. Отправьте его ещё раз.',
  'history.page': 'Ваши монеты, сначала новые (страница {page}):\n{entries}',
  'history.empty': 'Движений монет пока нет.',
  'ledger.bonus': 'приветственный бонус',
  'ledger.topup': 'пополнение',
  'ledger.hold': 'резерв',
  'ledger.capture': 'оплачено',
  'ledger.release': 'возврат резерва',
  'ledger.refund': 'возврат платежа',
  'ledger.grant': 'от команды',
  'ledger.debit': 'списание',
  'usage': 'Платные услуги, которыми вы пользовались:\n{lines}\nВсего потрачено: {total:coin}.',
  'usage.line': '{service}: {count} × — {coins:coin}',
  'usage.empty': 'Вы ещё не пользовались платными услугами. /prices — цены.',
  'service.avatar': 'Аватар',
  'service.transcript': 'Расшифровка',
  settings: 'Настройки\nЯзык: русский\nУведомления (рассылки, низкий баланс): {notifications}',
  'settings.on': 'вкл.',
  'settings.off': 'выкл.',
  'admin.refunded': 'Возвращено {stars} ⭐ по платежу {charge} пользователю {user}; {coins|one:списана|few:списаны|many:списано|other:списано} {coins:coin}, теперь у него {balance:coin}.',
  'admin.refund_unknown': 'Платёж с charge id {charge} не найден.',
  'admin.refund_refused': 'Возврат не выполнен: Telegram отказал в возврате {charge} ({reason}). Монеты возвращены пользователю.',
  'admin.refund_already': 'Платёж {charge} уже возвращён.',
  'admin.refund_spent': 'Возврат невозможен: пользователь уже потратил монеты (баланс {balance}, платёж дал {coins:coin.acc}).',
  'broadcast.report': 'Рассылка завершена: отправлено {sent}, заблокировали бота или удалили чат {blocked}, с ошибкой {failed} — из {total}.',
};

export const dictionaries: Record<Language, Dictionary> = { en, ru };

export { UnknownTemplateError };

/**
 * Renders a template in a language. `{name}` placeholders are filled from params; counts take their plural forms
 * (`{coins:coin}` → "21 монета", `{coins|one:was|other:were}`: docs/I18N.md). Unknown keys throw; a placeholder
 * whose param is missing is left as it is.
 */
export function translate(lang: Language, key: string, params: Record<string, string> = {}): string {
  const own = dictionaries[lang][key];
  const template = own ?? dictionaries.en[key];
  if (template === undefined) throw new UnknownTemplateError(`no message template "${key}"`);
  // A template that falls back to English takes English plural forms.
  const formsLang: Language = own === undefined ? 'en' : lang;
  return template.replace(PLACEHOLDER, (whole, name: string, noun?: string, forms?: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    if (noun !== undefined) return pluralNoun(formsLang, value, noun);
    if (forms !== undefined) return pluralForm(formsLang, value, forms);
    return value;
  });
}

/** Every template's placeholders, checked once when this module loads: a bad plural form stops the process at start. */
export function dictionaryProblems(): string[] {
  return LANGUAGES.flatMap((lang) => templateProblems(lang, dictionaries[lang]));
}

const problems = dictionaryProblems();
if (problems.length) throw new Error(`message templates with bad placeholders:\n${problems.join('\n')}`);
