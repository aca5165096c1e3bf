import { expect } from 'chai';
import { Stack } from '../support/stack';
import { translate } from '../../src/domain/i18n/messages';

/**
 * What Telegram expects of a bot that sells for Stars (/paysupport, /terms), and counts in the user's language with
 * the right plural forms, through the real platform: sandbox → bot → BullMQ → workers → Postgres → sandbox.
 */
describe('/paysupport, /terms and plural forms through the sandbox', () => {
  let stack: Stack;
  before(async () => {
    // A welcome bonus of 21: "21 монета", the form 5 or 11 never show.
    stack = await Stack.start({ env: { ADMIN_IDS: '4243', WELCOME_BONUS: '21' } });
    await stack.client.createUser({ id: 4243, first_name: 'Админ', language_code: 'ru' });
  });
  after(() => stack?.stop());

  for (const lang of ['en', 'ru'] as const) {
    it(`/paysupport and /terms answer in ${lang === 'en' ? 'English' : 'Russian'}, and are audited`, async () => {
      const user = await stack.registered(lang);
      await stack.client.sendText(user.id, '/paysupport');
      await stack.client.sendText(user.id, '/terms');
      const [, support, terms] = await stack.client.waitForMessages(user.id, 3);
      expect(support!.text).to.equal(translate(lang, 'paysupport'));
      expect(terms!.text).to.equal(translate(lang, 'terms'));
      if (lang === 'en') {
        expect(support!.text).to.match(/^Help with a payment\n/);
        expect(support!.text).to.include('/feedback').and.include('payment id').and.include('refunded in full');
        expect(terms!.text).to.match(/^Terms of service: coins and Telegram Stars\n/);
        expect(terms!.text).to.include('Coins are not money').and.include('cannot be passed to another user').and.include('per started minute');
      } else {
        expect(support!.text).to.match(/^Помощь с оплатой\n/);
        expect(support!.text).to.include('/feedback').and.include('номер платежа').and.include('возвращается полностью');
        expect(terms!.text).to.match(/^Условия использования: монеты и Telegram Stars\n/);
        expect(terms!.text).to.include('Монеты не деньги').and.include('нельзя передать другому пользователю');
      }
      const actions = await stack.knex('audit_events').where({ actor: `user:${user.id}` }).orderBy('id').pluck('action');
      expect(actions).to.include.members(['command.paysupport', 'command.terms']);
    });
  }

  it('a Russian user reads "21 монета", then "22 монеты" after an admin grants one coin', async () => {
    const user = await stack.client.createUser({ language_code: 'ru' });
    await stack.client.sendText(user.id, '/start');
    const [welcome] = await stack.client.waitForMessages(user.id, 1);
    expect(welcome!.text).to.include('Вам начислена 21 монета для начала.');
    await stack.client.sendText(user.id, '/balance');
    expect((await stack.client.waitForMessages(user.id, 2))[1]!.text).to.equal('Ваш баланс: 21 монета.');

    const before = (await stack.client.messages(4243)).length;
    await stack.client.sendText(4243, `/grant ${user.id} 1 за отзыв`);
    expect((await stack.client.waitForMessages(4243, before + 1)).at(-1)!.text).to.equal(`Пользователю ${user.id} начислена 1 монета; теперь у него 22 монеты.`);
    await stack.client.sendText(user.id, '/balance');
    expect((await stack.client.waitForMessages(user.id, 3))[2]!.text).to.equal('Ваш баланс: 22 монеты.');
    await stack.client.sendText(user.id, '/prices');
    expect((await stack.client.waitForMessages(user.id, 4))[3]!.text).to.equal('Цены:\nРасшифровка: 10 монет за начатую минуту\nАватар: 20 монет');
  });

  it('an English user with one coin reads "1 coin"', async () => {
    const user = await stack.registered('en');
    const before = (await stack.client.messages(4243)).length;
    await stack.client.sendText(4243, `/grant ${user.id} -20 test`);
    expect((await stack.client.waitForMessages(4243, before + 1)).at(-1)!.text).to.equal(`Пользователю ${user.id} начислено -20 монет; теперь у него 1 монета.`);
    // Below LOW_BALANCE_THRESHOLD (20): a negative grant tells the user at once.
    expect((await stack.client.waitForMessages(user.id, 2))[1]!.text).to.equal('Your balance is low: 1 coin. Top up to keep using paid services.');
    await stack.client.sendText(user.id, '/balance');
    expect((await stack.client.waitForMessages(user.id, 3))[2]!.text).to.equal('Your balance: 1 coin.');
  });
});
