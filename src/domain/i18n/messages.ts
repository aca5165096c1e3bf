import { LANGUAGES, type Language } from '../../jobs/payloads';
import { PLACEHOLDER, pluralForm, pluralNoun, templateProblems } from './plurals';
import type { Dictionary } from './dictionary';
import * as accounts from '../accounts/accounts.texts';
import * as avatars from '../avatars/avatars.texts';
import * as backups from '../backups/backups.texts';
import * as billing from '../billing/billing.texts';
import * as notifications from '../notifications/notifications.texts';
import * as transcripts from '../transcripts/transcripts.texts';
import { UnknownTemplateError } from '../../shared/errors';

/** Every feature's texts, each module beside its feature (src/domain/<feature>/<feature>.texts.ts). */
export const textModules: Record<string, Record<Language, Dictionary>> = { accounts, billing, avatars, transcripts, backups, notifications };

/**
 * What keeps the features' texts from being assembled: a key one language has and another lacks (it would reach a
 * user in English), or a key two features both define (one would silently win).
 */
export function textProblems(modules: Record<string, Record<Language, Dictionary>>): string[] {
  const problems: string[] = [];
  const owner = new Map<string, string>();
  for (const [feature, texts] of Object.entries(modules)) {
    const keys = new Set(LANGUAGES.flatMap((lang) => Object.keys(texts[lang])));
    for (const key of keys) {
      const missing = LANGUAGES.filter((lang) => !Object.prototype.hasOwnProperty.call(texts[lang], key));
      if (missing.length) problems.push(`${feature}: "${key}" has no ${missing.join(', ')} text`);
      const first = owner.get(key);
      if (first !== undefined) problems.push(`"${key}" is defined by ${first} and ${feature}`);
      else owner.set(key, feature);
    }
  }
  return problems;
}

function assemble(modules: Record<string, Record<Language, Dictionary>>): Record<Language, Dictionary> {
  const problems = textProblems(modules);
  if (problems.length) throw new Error(`message texts do not line up:\n${problems.join('\n')}`);
  const out = Object.fromEntries(LANGUAGES.map((lang) => [lang, {} as Dictionary])) as Record<Language, Dictionary>;
  for (const texts of Object.values(modules)) for (const lang of LANGUAGES) Object.assign(out[lang], texts[lang]);
  return out;
}

/** Checked once when this module loads (every process, so at start-up): a missing language stops the process. */
export const dictionaries: Record<Language, Dictionary> = assemble(textModules);

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
