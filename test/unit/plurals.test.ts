import { expect } from 'chai';
import { dictionaries, dictionaryProblems, translate } from '../../src/domain/i18n/messages';
import { NOUNS, PLACEHOLDER, pluralCategories, pluralCategory, pluralForm, pluralNoun, templateProblems } from '../../src/domain/i18n/plurals';
import { LANGUAGES } from '../../src/jobs/payloads';

describe('plural forms (Intl.PluralRules)', () => {
  it('Russian categories: 1 21 101 111 … one, 2 22 few, 0 5 11 25 111 many, fractions other', () => {
    const counts = ['1', '2', '5', '11', '21', '22', '25', '111', '0', '101', '14', '1.5', '1.0'];
    expect(counts.map((n) => pluralCategory('ru', n))).to.deep.equal(['one', 'few', 'many', 'many', 'one', 'few', 'many', 'many', 'many', 'one', 'many', 'other', 'other']);
  });

  it('English categories: 1 one; 0, 2, 100 and 1.0 other', () => {
    expect(['0', '1', '2', '100', '1.0', '-1'].map((n) => pluralCategory('en', n))).to.deep.equal(['other', 'one', 'other', 'other', 'other', 'one']);
  });

  it('a count that is no number takes the other form', () => {
    expect(pluralCategory('ru', 'много')).to.equal('other');
    expect(pluralCategory('en', '')).to.equal('other');
  });

  it('монета, монеты, монет: 1 2 5 21 11 22 25 111 0', () => {
    expect(['1', '2', '5', '21', '11', '22', '25', '111', '0'].map((n) => pluralNoun('ru', n, 'coin'))).to.deep.equal([
      '1 монета', '2 монеты', '5 монет', '21 монета', '11 монет', '22 монеты', '25 монет', '111 монет', '0 монет',
    ]);
    expect(pluralNoun('ru', '1.5', 'coin')).to.equal('1.5 монеты');
    expect(['1', '2', '5'].map((n) => pluralNoun('ru', n, 'coin.acc'))).to.deep.equal(['1 монету', '2 монеты', '5 монет']);
  });

  it('coin, coins: 0 1 2', () => {
    expect(['0', '1', '2'].map((n) => pluralNoun('en', n, 'coin'))).to.deep.equal(['0 coins', '1 coin', '2 coins']);
  });

  it('inline forms pick the word that agrees with the count', () => {
    expect(['1', '2'].map((n) => pluralForm('en', n, '|one:was|other:were'))).to.deep.equal(['was', 'were']);
    expect(['21', '3', '5'].map((n) => pluralForm('ru', n, '|one:начислена|few:начислены|many:начислено|other:начислено'))).to.deep.equal(['начислена', 'начислены', 'начислено']);
  });

  it('translate() fills plural placeholders in both languages', () => {
    expect(translate('en', 'balance', { coins: '1' })).to.equal('Your balance: 1 coin.');
    expect(translate('en', 'balance', { coins: '100' })).to.equal('Your balance: 100 coins.');
    expect(translate('ru', 'balance', { coins: '21' })).to.equal('Ваш баланс: 21 монета.');
    expect(translate('ru', 'balance', { coins: '22' })).to.equal('Ваш баланс: 22 монеты.');
    expect(translate('ru', 'balance', { coins: '11' })).to.equal('Ваш баланс: 11 монет.');
    expect(translate('en', 'avatar.done', { price: '1' })).to.equal('Your avatar is ready: 1 coin was charged.');
    expect(translate('en', 'avatar.done', { price: '20' })).to.equal('Your avatar is ready: 20 coins were charged.');
    expect(translate('ru', 'avatar.done', { price: '21' })).to.equal('Ваш аватар готов: списана 21 монета.');
    expect(translate('ru', 'avatar.done', { price: '20' })).to.equal('Ваш аватар готов: списано 20 монет.');
    expect(translate('ru', 'avatar.choose', { price: '1' })).to.equal('Какой стиль? Аватар стоит 1 монету.');
    expect(translate('ru', 'topup.thanks', { coins: '22', balance: '101', charge: 'c1' })).to.equal('Спасибо! Начислены 22 монеты. Ваш баланс: 101 монета.\nНомер платежа (для поддержки): c1');
    expect(translate('en', 'topup.thanks', { coins: '1', balance: '31', charge: 'c1' })).to.equal('Thank you! 1 coin was added. Your balance: 31 coins.\nPayment id (for support): c1');
  });

  it('a placeholder whose param is missing is left as it is', () => {
    expect(translate('en', 'balance')).to.equal('Your balance: {coins:coin}.');
  });

  it('every noun has a form for each category of its language', () => {
    for (const lang of LANGUAGES) {
      const categories = pluralCategories(lang);
      for (const [noun, forms] of Object.entries(NOUNS[lang])) expect(Object.keys(forms).sort(), `${lang} ${noun}`).to.deep.equal(categories);
    }
  });

  it('every plural placeholder of both dictionaries resolves (the start-up check finds nothing)', () => {
    expect(dictionaryProblems()).to.deep.equal([]);
    // And rendered with numbers for every param, no template keeps a `{…}`.
    for (const lang of LANGUAGES) {
      for (const [key, template] of Object.entries(dictionaries[lang])) {
        const params = Object.fromEntries([...template.matchAll(PLACEHOLDER)].map((m) => [m[1]!, '21']));
        const text = translate(lang, key, params);
        expect(text, `${lang} ${key}`).not.to.match(/[{}]/);
      }
    }
  });

  it('the check names what is wrong: an unknown noun, a missing category, a brace that is no placeholder', () => {
    const problems = templateProblems('ru', {
      a: '{n:horse}',
      b: '{n|one:была|other:было}',
      c: 'Balance {coins coins}',
      d: '{n|one:x|two:y|few:z|many:w|other:v}',
    });
    expect(problems).to.have.length(4);
    expect(problems[0]).to.match(/ru "a": unknown noun "horse"/);
    expect(problems[1]).to.match(/ru "b" .*no form for few, many/);
    expect(problems[2]).to.match(/ru "c": a "\{" or "\}" that is no placeholder/);
    expect(problems[3]).to.match(/ru has no plural category two/);
  });
});
