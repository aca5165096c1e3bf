import { expect } from 'chai';
import { ImageRefusedError, inspect, renderAvatar, sniff } from '../../src/adapters/image';
import { declaredRefusal, MAX_DOWNLOAD_BYTES } from '../../src/domain/avatars/intake';
import { animatedGif, bmp, corruptJpeg, plainJpeg, pngBomb, svg, truncatedPng } from '../support/images';

const MAX = 40_000_000;

async function refusal(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    if (err instanceof ImageRefusedError) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('image intake (declared) and pipeline checks (bytes)', () => {
  it('sorts what Telegram declared before anything is held: animation, video, SVG, other files, formats we cannot read, size', () => {
    const cases: Array<[Parameters<typeof declaredRefusal>[0], string | undefined]> = [
      [{ kind: 'photo', width: 1280, height: 960, fileSize: 200_000 }, undefined],
      [{ kind: 'document', mimeType: 'image/jpeg', fileName: 'a.jpg' }, undefined],
      [{ kind: 'document', mimeType: 'application/octet-stream', fileName: 'photo' }, undefined],
      [{ kind: 'document', mimeType: 'image/gif', animated: true }, 'avatar.animated'],
      [{ kind: 'document', mimeType: 'video/mp4', fileName: 'clip.mp4' }, 'avatar.animated'],
      [{ kind: 'document', mimeType: 'image/svg+xml' }, 'avatar.svg'],
      [{ kind: 'document', mimeType: 'image/png', fileName: 'LOGO.SVG' }, 'avatar.svg'],
      [{ kind: 'document', mimeType: 'application/pdf', fileName: 'cv.pdf' }, 'avatar.not_image'],
      [{ kind: 'document', mimeType: 'image/heic' }, 'avatar.unsupported'],
      [{ kind: 'document', mimeType: 'image/bmp' }, 'avatar.unsupported'],
      [{ kind: 'document', mimeType: 'image/png', fileSize: MAX_DOWNLOAD_BYTES + 1 }, 'avatar.too_large'],
      [{ kind: 'photo', width: 8000, height: 6000 }, 'avatar.too_large'],
    ];
    for (const [declared, expected] of cases) expect(declaredRefusal(declared, MAX), JSON.stringify(declared)).to.equal(expected);
  });

  it('identifies formats by their bytes, whatever the name says', async () => {
    expect(sniff(await plainJpeg(80, 80))).to.equal('jpeg');
    expect(sniff(await truncatedPng())).to.equal('png');
    expect(sniff(await animatedGif())).to.equal('gif');
    expect(sniff(bmp())).to.equal('bmp');
    expect(sniff(svg)).to.equal('svg');
    expect(sniff(Buffer.from('\uFEFF  <svg xmlns="http://www.w3.org/2000/svg"/>'))).to.equal('svg');
    expect(sniff(Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0', 'latin1'))).to.equal('unknown');
    expect(sniff(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'))).to.equal('heic');
    expect(sniff(Buffer.from('%PDF-1.7'))).to.equal('unknown');
  });

  it('refuses each bad input with its reason, the bomb from its header alone', async () => {
    expect(await refusal(inspect(await corruptJpeg(), MAX))).to.equal('accepted'); // its header is fine…
    expect(await refusal(renderAvatar(await corruptJpeg(), 'square', MAX))).to.equal('avatar.corrupt'); // …its body is not
    expect(await refusal(renderAvatar(await truncatedPng(), 'square', MAX))).to.equal('avatar.corrupt');
    expect(await refusal(inspect(pngBomb(), MAX))).to.equal('avatar.too_large');
    expect(await refusal(inspect(await plainJpeg(63, 400), MAX))).to.equal('avatar.too_small');
    expect(await refusal(inspect(await animatedGif(), MAX))).to.equal('avatar.animated');
    expect(await refusal(inspect(svg, MAX))).to.equal('avatar.svg');
    expect(await refusal(inspect(bmp(), MAX))).to.equal('avatar.unsupported');
    expect(await refusal(inspect(Buffer.from('%PDF-1.7\n'), MAX))).to.equal('avatar.not_image');
    // The limit is the operator's: 1 MP refuses a 1,200 × 1,000 photo.
    expect(await refusal(inspect(await plainJpeg(1200, 1000), 1_000_000))).to.equal('avatar.too_large');
  });
});
