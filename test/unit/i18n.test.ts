import { expect } from 'chai';
import { dictionaries, textModules, textProblems, translate } from '../../src/domain/i18n/messages';
import { REPLY_KEYS } from '../../src/jobs/payloads';
import { languageFromCode } from '../../src/shared/actor';

describe('translations', () => {
  it('Russian and English have the same keys', () => {
    expect(Object.keys(dictionaries.ru).sort()).to.deep.equal(Object.keys(dictionaries.en).sort());
  });

  it('every feature\'s texts have both languages, and no key is defined by two features', () => {
    expect(textProblems(textModules)).to.deep.equal([]);
    expect(Object.keys(textModules).sort()).to.deep.equal(['accounts', 'avatars', 'backups', 'billing', 'notifications', 'transcripts']);
  });

  it('a Russian text missing, or a key two features define, is named (and stops the process at start)', () => {
    const problems = textProblems({
      billing: { en: { balance: 'Your balance', prices: 'Prices' }, ru: { balance: 'Ваш баланс' } },
      accounts: { en: { balance: 'again' }, ru: { balance: 'снова' } },
    });
    expect(problems).to.deep.equal(['billing: "prices" has no ru text', '"balance" is defined by billing and accounts']);
  });

  it('every reply a user action can ask for exists', () => {
    for (const key of REPLY_KEYS) expect(() => translate('ru', key)).not.to.throw();
  });

  it('fills placeholders', () => {
    expect(translate('en', 'unknown.command', { command: '/frobnicate' })).to.include('/frobnicate');
    expect(translate('ru', 'unknown.command', { command: '/frobnicate' })).to.match(/Я не знаю команду \/frobnicate/);
  });

  it('picks Russian for ru/uk/be Telegram clients, English otherwise', () => {
    expect(['ru', 'ru-RU', 'uk', 'be', 'en', 'de', undefined].map(languageFromCode)).to.deep.equal(['ru', 'ru', 'ru', 'ru', 'en', 'en', 'en']);
  });
});
