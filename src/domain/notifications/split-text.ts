/** Telegram refuses a message longer than this many UTF-16 code units. */
export const TELEGRAM_TEXT_LIMIT = 4096;

/**
 * Splits a text into parts of at most `limit` characters, breaking on line boundaries so no line is cut;
 * only a single line longer than the limit is cut (at the last space that fits, or hard).
 */
export function splitText(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  if (text.length <= limit) return [text];
  const parts: string[] = [];
  let current = '';
  const flush = () => {
    if (current.length) parts.push(current);
    current = '';
  };
  for (const line of text.split('\n')) {
    const candidate = current.length ? `${current}\n${line}` : line;
    if (candidate.length <= limit) {
      current = candidate;
      continue;
    }
    flush();
    let rest = line;
    while (rest.length > limit) {
      const space = rest.lastIndexOf(' ', limit);
      const cut = space > limit / 2 ? space : limit;
      parts.push(rest.slice(0, cut));
      rest = rest.slice(cut).replace(/^ /, '');
    }
    current = rest;
  }
  flush();
  return parts;
}
