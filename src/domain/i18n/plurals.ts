import type { Language } from '../../jobs/payloads';

/**
 * Plural forms for message templates (docs/I18N.md). Counts arrive as strings (job payloads carry strings only), the
 * plural category comes from `Intl.PluralRules`: English has `one` and `other`, Russian `one` (1, 21, 101),
 * `few` (2–4, 22–24), `many` (0, 5–20, 25–30, 11–14) and `other` (fractions: 1.5 монеты).
 *
 * Two placeholder forms, both inside a template of a feature's text module (src/domain/<feature>/<feature>.texts.ts):
 * - `{coins:coin}` → the count and the noun's form: "21 монета", "1 coin". The noun comes from {@link NOUNS} of the
 *   template's language; a case other than the nominative is a noun of its own (`coin.acc`: "стоит 21 монету").
 * - `{coins|one:was|other:were}` → only the form, for the words that agree with the count ("1 coin was added").
 *   Every category of the language must be listed.
 */
export type PluralCategory = Intl.LDMLPluralRule;

type Forms = Partial<Record<PluralCategory, string>>;

/** Nouns by language; each must have a form for every category of its language (checked at start-up). */
export const NOUNS: Record<Language, Record<string, Forms>> = {
  en: {
    coin: { one: 'coin', other: 'coins' },
    megapixel: { one: 'megapixel', other: 'megapixels' },
    table: { one: 'table', other: 'tables' },
    row: { one: 'row', other: 'rows' },
  },
  ru: {
    coin: { one: 'монета', few: 'монеты', many: 'монет', other: 'монеты' },
    'coin.acc': { one: 'монету', few: 'монеты', many: 'монет', other: 'монеты' },
    'megapixel.gen': { one: 'мегапикселя', few: 'мегапикселей', many: 'мегапикселей', other: 'мегапикселя' },
    table: { one: 'таблица', few: 'таблицы', many: 'таблиц', other: 'таблицы' },
    row: { one: 'строка', few: 'строки', many: 'строк', other: 'строки' },
  },
};

/** Every `{…}` of a template: a plain `{name}`, a noun `{name:noun}` or inline forms `{name|one:…|other:…}`. */
export const PLACEHOLDER = /\{(\w+)(?::([\w.]+)|((?:\|[a-z]+:[^|{}]*)+))?\}/g;

const NUMBER = /^-?\d+(?:\.(\d+))?$/;
const rules = new Map<string, Intl.PluralRules>();

/** The language's plural categories, e.g. ['few', 'many', 'one', 'other'] for Russian. */
export function pluralCategories(lang: Language): PluralCategory[] {
  return [...pluralRules(lang, 0).resolvedOptions().pluralCategories].sort();
}

function pluralRules(lang: Language, fractionDigits: number): Intl.PluralRules {
  const id = `${lang}/${fractionDigits}`;
  let r = rules.get(id);
  if (!r) rules.set(id, (r = new Intl.PluralRules(lang, { minimumFractionDigits: fractionDigits })));
  return r;
}

/**
 * The plural category of a count given as a string ("21" → 'one' in Russian). Visible decimals count, as CLDR says
 * ("1.0" is `other`). Anything that is not a plain decimal number is `other`.
 */
export function pluralCategory(lang: Language, count: string): PluralCategory {
  const m = NUMBER.exec(count.trim());
  if (!m) return 'other';
  return pluralRules(lang, m[1]?.length ?? 0).select(Number(count));
}

/** Parses `|one:was|other:were` into forms. */
export function parseForms(spec: string): Forms {
  const forms: Forms = {};
  for (const part of spec.split('|').slice(1)) {
    const colon = part.indexOf(':');
    forms[part.slice(0, colon) as PluralCategory] = part.slice(colon + 1);
  }
  return forms;
}

/** `{coins:coin}` with count "21" in Russian → "21 монета". Unknown nouns are refused at start-up, not here. */
export function pluralNoun(lang: Language, count: string, noun: string): string {
  const forms = NOUNS[lang][noun];
  return `${count} ${forms?.[pluralCategory(lang, count)] ?? forms?.other ?? noun}`;
}

/** `{coins|one:was|other:were}` with count "1" → "was". */
export function pluralForm(lang: Language, count: string, spec: string): string {
  const forms = parseForms(spec);
  return forms[pluralCategory(lang, count)] ?? forms.other ?? '';
}

/**
 * What is wrong with the placeholders of a language's templates: an unknown noun, a noun or an inline set missing
 * one of the language's categories, a category the language does not have, or a `{…}` none of the forms matches.
 * Empty when all is well.
 */
export function templateProblems(lang: Language, templates: Record<string, string>): string[] {
  const problems: string[] = [];
  const categories = pluralCategories(lang);
  const checkForms = (where: string, forms: Forms) => {
    const missing = categories.filter((c) => forms[c] === undefined);
    const extra = Object.keys(forms).filter((c) => !categories.includes(c as PluralCategory));
    if (missing.length) problems.push(`${where}: no form for ${missing.join(', ')}`);
    if (extra.length) problems.push(`${where}: ${lang} has no plural category ${extra.join(', ')}`);
  };
  for (const [noun, forms] of Object.entries(NOUNS[lang])) checkForms(`${lang} noun "${noun}"`, forms);
  for (const [key, template] of Object.entries(templates)) {
    for (const m of template.matchAll(PLACEHOLDER)) {
      const [whole, , noun, spec] = m;
      if (noun !== undefined && NOUNS[lang][noun] === undefined) problems.push(`${lang} "${key}": unknown noun "${noun}" in ${whole}`);
      if (spec !== undefined) checkForms(`${lang} "${key}" ${whole}`, parseForms(spec));
    }
    // A brace left once every placeholder is taken out is a placeholder none of the forms understands.
    const rest = template.replace(PLACEHOLDER, '');
    if (/[{}]/.test(rest)) problems.push(`${lang} "${key}": a "{" or "}" that is no placeholder (${JSON.stringify(rest)})`);
  }
  return problems;
}
