import type { Dictionary } from '../i18n/dictionary';

/**
 * Texts of coins, prices, top-ups, payments, the ledger and usage (src/domain/billing), in English and Russian with the same keys. Assembled by
 * src/domain/i18n/messages.ts, which refuses to load when a key lacks a language (docs/I18N.md).
 */
export const en: Dictionary = {
  balance: 'Your balance: {coins:coin}.',
  prices: 'Prices:\nTranscript: {transcript:coin} per started minute\nAvatar: {avatar:coin}',
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
  'button.topup': 'Top up',
  'button.older': 'Older ›',
  'button.newer': '‹ Newer',
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
};

export const ru: Dictionary = {
  balance: 'Ваш баланс: {coins:coin}.',
  prices: 'Цены:\nРасшифровка: {transcript:coin} за начатую минуту\nАватар: {avatar:coin}',
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
  'button.topup': 'Пополнить',
  'button.older': 'Раньше ›',
  'button.newer': '‹ Позже',
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
};
