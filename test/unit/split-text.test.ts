import { expect } from 'chai';
import { splitText, TELEGRAM_TEXT_LIMIT } from '../../src/domain/notifications/split-text';

describe('splitText (Telegram 4096-character limit)', () => {
  it('keeps a short text whole', () => {
    expect(splitText('hello\nworld')).to.deep.equal(['hello\nworld']);
  });

  it('splits on line boundaries, never cutting a line, and loses nothing', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(i % 40)}`);
    const text = lines.join('\n');
    const parts = splitText(text);
    expect(parts.length).to.be.greaterThan(1);
    for (const p of parts) expect(p.length).to.be.at.most(TELEGRAM_TEXT_LIMIT);
    expect(parts.join('\n')).to.equal(text);
    expect(parts.flatMap((p) => p.split('\n'))).to.deep.equal(lines);
  });

  it('cuts a single over-long line at a space', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ');
    const parts = splitText(words, 100);
    for (const p of parts) expect(p.length).to.be.at.most(100);
    expect(parts.join(' ')).to.equal(words);
  });
});
