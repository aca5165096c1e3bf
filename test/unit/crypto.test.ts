import { expect } from 'chai';
import { DEVELOPMENT_KEY, keyIdOf, Keyring, UnknownKeyError, UnreadableValueError } from '../../src/lib/crypto';

describe('encryption at rest (AES-256-GCM with key ids)', () => {
  const k1 = Buffer.alloc(32, 1);
  const k2 = Buffer.alloc(32, 2);

  it('what is sealed opens to the same text; the stored bytes do not contain it and differ every time', () => {
    const ring = new Keyring([k1]);
    const text = 'Встреча в пятницу в 10:00, go forward ten meters';
    const a = ring.seal(text, 'transcripts:r1');
    const b = ring.seal(text, 'transcripts:r1');
    expect(a.keyId).to.equal(keyIdOf(k1));
    expect(a.data.includes(Buffer.from('forward'))).to.equal(false);
    expect(a.data.equals(b.data), 'a fresh nonce each time').to.equal(false);
    expect(ring.open(a, 'transcripts:r1')).to.equal(text);
  });

  it('a changed byte, or a value moved to another row, does not open', () => {
    const ring = new Keyring([k1]);
    const sealed = ring.seal('secret words', 'transcripts:r1');
    const tampered = Buffer.from(sealed.data);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => ring.open({ keyId: sealed.keyId, data: tampered }, 'transcripts:r1')).to.throw(UnreadableValueError, /does not authenticate/);
    expect(() => ring.open(sealed, 'transcripts:r2')).to.throw(UnreadableValueError, /does not authenticate/);
  });

  it('rotation: the new key seals, the old one still opens; a key not given is named, not guessed', () => {
    const old = new Keyring([k1]).seal('before the rotation', 'a');
    const rotated = new Keyring([k2, k1]);
    expect(rotated.currentId).to.equal(keyIdOf(k2));
    expect(rotated.open(old, 'a')).to.equal('before the rotation');
    expect(rotated.seal('after', 'b').keyId).to.equal(keyIdOf(k2));
    const err = (() => {
      try {
        new Keyring([k2]).open(old, 'a');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).to.be.instanceOf(UnknownKeyError);
    expect(err!.message).to.include(`key ${keyIdOf(k1)}`);
  });

  it('without ENCRYPTION_KEY (development) the fixed development key is used, with its own id', () => {
    expect(Keyring.fromConfig({}).currentId).to.equal(keyIdOf(DEVELOPMENT_KEY));
    expect(Keyring.fromConfig({ ENCRYPTION_KEY: [k1] }).currentId).to.equal(keyIdOf(k1));
  });
});
