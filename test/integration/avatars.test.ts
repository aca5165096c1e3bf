import { expect } from 'chai';
import sharp from 'sharp';
import { Telegram } from 'telegraf';
import type { SandboxMessage } from '../../src/sandbox/sandbox.client';
import { buttons, chooseStyle, downloadSent, lastMessageId, nextMessage } from '../support/chat';
import { animatedGif, bmp, corruptJpeg, pixel, plainJpeg, pngBomb, rotatedCameraJpeg, svg, truncatedPng } from '../support/images';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const BONUS = 100;
const PRICE = 20;

/**
 * Avatars through the whole platform: the user sends a photo or a file in the sandbox and taps a style; the avatars
 * worker holds the price, downloads, runs sharp, stores the set in Postgres, captures, and the notifications worker
 * sends a photo and a file back.
 */
describe('avatars: styles, the image pipeline, storage, bad input', function () {
  this.timeout(60_000);
  let stack: Stack;
  let telegram: Telegram;
  before(async () => {
    stack = await Stack.start({
      env: { WELCOME_BONUS: String(BONUS), PRICE_AVATAR: String(PRICE), RATE_LIMIT_BURST: '1000', CHAT_BURST: '30' },
      // Telegram's per-chat pace is kept by our own pacer; the sandbox need not enforce it too.
      limits: { enabled: false },
    });
    telegram = new Telegram(stack.config.BOT_TOKEN!, { apiRoot: stack.config.TELEGRAM_API_ROOT });
  });
  after(() => stack?.stop());

  const client = () => stack.client;
  const registered = (lang?: string) => stack.registered(lang);
  const balanceOf = (telegramId: number) => stack.balanceOf(telegramId);
  const setsOf = (telegramId: number) => stack.knex('avatar_sets as s').join('users as u', 'u.id', 's.user_id').where('u.telegram_id', telegramId).orderBy('s.id').select('s.*');
  const variantsOf = (setId: number) => stack.knex('avatar_variants').where({ set_id: setId }).orderBy([{ column: 'size', order: 'desc' }, 'format']).select('size', 'format', 'bytes');
  /** A user's avatar.create jobs, once every one of them has finished (the user may hear back before the job ends). */
  const createJobsOf = async (telegramId: number) => {
    const mine = async () =>
      (await stack.workers!.deps.queues.get('avatars').getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']))
        .filter((j) => j.name === 'avatar.create' && j.data.actor.telegramId === telegramId);
    await waitFor(async () => (await mine()).every((j) => j.finishedOn != null), 'avatar jobs finished');
    return mine();
  };
  const document = (userId: number, bytes: Buffer, file_name: string, mime_type: string) => () =>
    client().sendDocument(userId, bytes, { file_name, mime_type });
  /** The photo and the file of a made avatar, once both are there. */
  async function delivered(userId: number, after: number): Promise<{ photo: SandboxMessage; file: SandboxMessage }> {
    const photo = await nextMessage(client(), userId, after, (m) => !!m.photo);
    const file = await nextMessage(client(), userId, photo.message_id, (m) => !!m.document);
    return { photo, file };
  }

  it('a 3000 × 2000 camera JPEG with EXIF orientation 6 and GPS comes back upright, 512 × 512, without metadata', async () => {
    const user = await registered();
    const source = await rotatedCameraJpeg();
    const input = await sharp(source).metadata();
    expect(input).to.include({ width: 3000, height: 2000, orientation: 6 });
    // The source carries a GPS directory (tag 0x8825): the location must not survive.
    expect(input.exif!.includes(Buffer.from([0x25, 0x88]))).to.equal(true);

    const after = await lastMessageId(client(), user.id);
    const { offer } = await chooseStyle(client(), user.id, document(user.id, source, 'IMG_0001.jpg', 'image/jpeg'), 'square');
    expect(offer.text).to.equal(`Which style? An avatar costs ${PRICE} coins.`);
    expect(buttons(offer).map((b) => b.split(':').pop())).to.deep.equal(['square', 'circle', 'gray']);
    const { photo, file } = await delivered(user.id, after);
    expect(photo.caption).to.equal(`Your avatar is ready: ${PRICE} coins were charged.`);

    // The preview (JPEG) and the full-quality file (WebP) as the user downloads them.
    const preview = await downloadSent(telegram, photo);
    const full = await downloadSent(telegram, file);
    expect(await sharp(preview).metadata()).to.include({ format: 'jpeg', width: 512, height: 512 });
    expect(await sharp(full).metadata()).to.include({ format: 'webp', width: 512, height: 512 });
    for (const image of [preview, full]) {
      const meta = await sharp(image).metadata();
      expect(meta.exif, 'EXIF').to.equal(undefined);
      expect(meta.orientation, 'orientation').to.equal(undefined);
      expect(image.includes(Buffer.from('Camera owner')), 'EXIF text').to.equal(false);
      // Upright: red on top, blue at the bottom — never red on one side.
      const [top, bottom] = [await pixel(image, 256, 10), await pixel(image, 256, 500)];
      expect(top[0], 'top is red').to.be.above(200);
      expect(top[2], 'top is red').to.be.below(60);
      expect(bottom[2], 'bottom is blue').to.be.above(200);
      expect(bottom[0], 'bottom is blue').to.be.below(60);
    }

    // Stored: every size as WebP and JPEG, none with metadata.
    const [set] = await setsOf(user.id);
    expect(set).to.include({ style: 'square' });
    const variants = await variantsOf(set.id);
    expect(variants.map((v) => `${v.size} ${v.format}`)).to.deep.equal(['512 jpeg', '512 webp', '256 jpeg', '256 webp', '128 jpeg', '128 webp']);
    for (const v of variants) {
      const meta = await sharp(v.bytes).metadata();
      expect([meta.width, meta.height, meta.exif]).to.deep.equal([v.size, v.size, undefined]);
    }
    // Charged once; the "working…" message ended as "ready"; the client showed "uploading a photo".
    expect(await balanceOf(user.id)).to.equal(BONUS - PRICE);
    await waitFor(async () => (await client().messages(user.id)).some((m) => m.text === '✅ Avatar ready (Square).'), 'progress done');
    expect((await client().chatActions(user.id)).map((a) => a.action)).to.include('upload_photo');
  });

  it('circle is a PNG with a transparent outside; black & white has no colour', async () => {
    const user = await registered();
    const source = await plainJpeg(800, 600, '#22aa55');
    const after = await lastMessageId(client(), user.id);
    const { offer, messageId } = await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, source, { width: 800, height: 600 }), 'circle');
    await delivered(user.id, after);
    // Another style of the same photo is one more tap on the same offer.
    const before = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, offer.message_id, `avatar:style:${messageId}:gray`);
    await delivered(user.id, before);

    const sets = await setsOf(user.id);
    expect(sets.map((s) => s.style)).to.deep.equal(['circle', 'gray']);
    const circle = await variantsOf(sets[0].id);
    expect(circle.map((v) => `${v.size} ${v.format}`)).to.deep.equal(['512 png', '512 webp', '256 png', '256 webp', '128 png', '128 webp']);
    for (const v of circle) {
      expect((await sharp(v.bytes).metadata()).hasAlpha, `${v.size} ${v.format} alpha`).to.equal(true);
      expect((await pixel(v.bytes, 0, 0))[3], 'corner transparent').to.equal(0);
      expect((await pixel(v.bytes, v.size / 2, v.size / 2))[3], 'centre opaque').to.equal(255);
    }
    for (const v of await variantsOf(sets[1].id)) {
      const [r, g, b] = await pixel(v.bytes, v.size / 2, v.size / 2);
      expect(Math.max(r!, g ?? r!, b ?? r!) - Math.min(r!, g ?? r!, b ?? r!), `${v.size} ${v.format} grey`).to.be.at.most(2);
    }
    expect(await balanceOf(user.id)).to.equal(BONUS - 2 * PRICE);
  });

  it('the same photo twice in the same style is made once: the second time it comes from storage, free', async () => {
    const user = await registered();
    const source = await plainJpeg(640, 480, '#aa2255');
    let after = await lastMessageId(client(), user.id);
    await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, source, { width: 640, height: 480 }));
    await delivered(user.id, after);
    const downloads = (await client().stats()).fileDownloads;

    after = await lastMessageId(client(), user.id);
    await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, source, { width: 640, height: 480 }));
    const again = await delivered(user.id, after);
    expect(again.photo.caption).to.equal('You made this avatar before: here it is again, free of charge.');
    expect((await client().stats()).fileDownloads, 'downloaded again').to.equal(downloads);
    expect(await setsOf(user.id)).to.have.length(1);
    expect(await balanceOf(user.id)).to.equal(BONUS - PRICE);
    const results = (await createJobsOf(user.id)).map((j) => j.returnvalue as { fromStorage?: boolean });
    expect(results.map((r) => r.fromStorage === true).sort()).to.deep.equal([false, true]);
    // And no "working…" message the second time: nothing was worked on.
    expect((await client().messages(user.id)).filter((m) => m.message_id > after && m.text?.startsWith('⏳'))).to.have.length(0);
  });

  it('the same button tapped again, or the same photo sent twice and made at once: one charge, one set', async () => {
    const user = await registered();
    const source = await plainJpeg(640, 480, '#2255aa');
    let after = await lastMessageId(client(), user.id);
    const { offer, messageId } = await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, source, { width: 640, height: 480 }));
    await delivered(user.id, after);
    // Tapped again after it was made: served from storage, said so, not charged.
    after = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, offer.message_id, `avatar:style:${messageId}:square`);
    expect((await delivered(user.id, after)).photo.caption).to.equal('You made this avatar before: here it is again, free of charge.');
    expect(await balanceOf(user.id)).to.equal(BONUS - PRICE);

    // Another photo, sent twice and tapped at once (downloads held back so both are in flight), the first download
    // failing once with a 500 (its job waits and runs again): still one charge.
    const twin = await plainJpeg(640, 480, '#55aa22');
    await client().setFileDelay(3000);
    await client().injectFault({ code: 500, methods: ['getFile'], times: 1 });
    try {
      after = await lastMessageId(client(), user.id);
      await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, twin, { width: 640, height: 480 }), 'gray');
      await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, twin, { width: 640, height: 480 }), 'gray');
      await waitFor(async () => (await client().messages(user.id)).filter((m) => m.message_id > after && m.photo).length === 2, 'both delivered', 20_000);
    } finally {
      await client().setFileDelay(0);
    }
    const captions = (await client().messages(user.id)).filter((m) => m.message_id > after && m.photo).map((m) => m.caption).sort();
    expect(captions).to.deep.equal(['You made this avatar before: here it is again, free of charge.', `Your avatar is ready: ${PRICE} coins were charged.`]);
    await waitFor(async () => (await balanceOf(user.id)) === BONUS - 2 * PRICE, 'one more charge', 5_000);
    // The twin waited while the first held for the same photo and style, then was served from storage: no hold.
    const holds = await stack.knex('holds as h').join('users as u', 'u.id', 'h.user_id').where('u.telegram_id', user.id).orderBy('h.id').pluck('h.status');
    expect(holds.slice(1)).to.deep.equal(['captured']);
    expect(await client().clearFaults()).to.be.greaterThan(0);
    expect((await setsOf(user.id)).map((s) => s.style)).to.deep.equal(['square', 'gray']);
  });

  it('every bad input gets its own reason, nothing is retried and no coins are charged', async () => {
    const cases: Array<{ name: string; lang?: string; offered: boolean; reason: string }> = [
      { name: 'corrupt JPEG', offered: true, reason: 'corrupt' },
      { name: 'truncated PNG', offered: true, reason: 'corrupt' },
      { name: 'decompression bomb, 20,000 × 20,000 PNG', offered: true, reason: 'too_large' },
      { name: 'smaller than 64 × 64', offered: true, reason: 'too_small' },
      { name: 'animated GIF as a file', offered: true, reason: 'animated' },
      { name: 'video as a file', offered: false, reason: 'animated' },
      { name: 'SVG', offered: false, reason: 'svg' },
      { name: 'SVG named .png', offered: true, reason: 'svg' },
      { name: 'a PDF', offered: false, reason: 'not_image' },
      { name: 'BMP (unsupported)', offered: false, reason: 'unsupported' },
      { name: 'BMP named .jpg', offered: true, reason: 'unsupported' },
      { name: 'SVG, in Russian', lang: 'ru', offered: false, reason: 'svg' },
    ];
    const [corrupt, truncated, gif, tiny] = await Promise.all([corruptJpeg(), truncatedPng(), animatedGif(), plainJpeg(50, 50)]);
    const files: Record<string, [Buffer, string, string]> = {
      'corrupt JPEG': [corrupt, 'broken.jpg', 'image/jpeg'],
      'truncated PNG': [truncated, 'half.png', 'image/png'],
      'decompression bomb, 20,000 × 20,000 PNG': [pngBomb(), 'bomb.png', 'image/png'],
      'smaller than 64 × 64': [tiny, 'tiny.jpg', 'image/jpeg'],
      'animated GIF as a file': [gif, 'dance.gif', 'image/gif'],
      'video as a file': [Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom', 'latin1'), 'clip.mp4', 'video/mp4'],
      SVG: [svg, 'logo.svg', 'image/svg+xml'],
      'SVG named .png': [svg, 'logo.png', 'image/png'],
      'a PDF': [Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n', 'latin1'), 'cv.pdf', 'application/pdf'],
      'BMP (unsupported)': [bmp(), 'scan.bmp', 'image/bmp'],
      'BMP named .jpg': [bmp(), 'scan.jpg', 'image/jpeg'],
      'SVG, in Russian': [svg, 'logo.svg', 'image/svg+xml'],
    };
    const expected: Record<string, string> = {
      corrupt: 'This image file is damaged or incomplete, so I cannot read it. Please send it again. You were not charged.',
      too_large: 'This image is too large (files up to 20 MB, up to 40 megapixels). You were not charged.',
      too_small: 'This image is too small for an avatar (at least 64 × 64 pixels). You were not charged.',
      animated: 'Animated images and videos cannot become avatars. Please send a still photo. You were not charged.',
      svg: 'SVG files are not accepted: they can carry scripts and links. Please send a JPEG or PNG. You were not charged.',
      not_image: 'I could not read this as an image. Please send a JPEG or PNG photo. You were not charged.',
      unsupported: 'This image format is not supported. Please send a JPEG, PNG, WebP, GIF, TIFF or AVIF image. You were not charged.',
      'svg/ru': 'Файлы SVG не принимаются: в них могут быть скрипты и ссылки. Пришлите JPEG или PNG. Монеты не списаны.',
    };
    // Each case in its own chat, all at once: chats are paced apart.
    await Promise.all(
      cases.map(async (c) => {
        const user = await registered(c.lang);
        const [bytes, name, mime] = files[c.name]!;
        const send = () => client().sendDocument(user.id, bytes, { file_name: name, mime_type: mime });
        const after = await lastMessageId(client(), user.id);
        if (c.offered) await chooseStyle(client(), user.id, send);
        else await send();
        const text = expected[c.lang ? `${c.reason}/${c.lang}` : c.reason]!;
        // Offered: the "working…" message becomes the reason. Not offered: the reason is the only answer.
        const answer = await nextMessage(client(), user.id, after, (m) => m.text === text, 20_000).catch(async () => {
          const seen = (await client().messages(user.id)).filter((m) => m.message_id > after).map((m) => m.text);
          throw new Error(`${c.name}: expected "${text}", the bot said ${JSON.stringify(seen)}`);
        });
        expect(buttons(answer), c.name).to.deep.equal([]);
        expect(await balanceOf(user.id), `${c.name}: balance`).to.equal(BONUS);
        expect(await setsOf(user.id), `${c.name}: stored`).to.have.length(0);
        const holds = await stack.knex('holds as h').join('users as u', 'u.id', 'h.user_id').where('u.telegram_id', user.id).pluck('h.status');
        expect(holds, `${c.name}: holds`).to.deep.equal(c.offered ? ['released'] : []);
        const jobs = await createJobsOf(user.id);
        expect(jobs.map((j) => [j.attemptsMade, j.failedReason ?? null]), `${c.name}: tries`).to.deep.equal(c.offered ? [[1, null]] : []);
      }),
    );
  });

  it('/avatars lists thumbnails with buttons; make current; delete removes every stored variant', async () => {
    const user = await registered();
    await client().sendText(user.id, '/avatars');
    expect((await client().waitForMessages(user.id, 2))[1]!.text).to.equal('You have no avatars yet. Send a photo to make one.');

    let after = await lastMessageId(client(), user.id);
    const source = await plainJpeg(700, 500, '#5522aa');
    const { offer, messageId } = await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, source, { width: 700, height: 500 }), 'square');
    await delivered(user.id, after);
    after = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, offer.message_id, `avatar:style:${messageId}:circle`);
    await delivered(user.id, after);
    const [square, circle] = await setsOf(user.id);

    // Newest first: the circle is 1, the square 2. The thumbnails come as one album, the buttons under the list.
    const list = async () => {
      const from = await lastMessageId(client(), user.id);
      await client().sendText(user.id, '/avatars');
      const text = await nextMessage(client(), user.id, from, (m) => !!m.text?.startsWith('Your avatars'));
      const album = (await client().messages(user.id)).filter((m) => m.message_id > from && m.message_id < text.message_id);
      return { text, album };
    };
    let { text, album } = await list();
    expect(album.map((m) => [m.caption, !!m.photo])).to.deep.equal([['1', true], ['2', true]]);
    expect(new Set(album.map((m) => m.media_group_id)).size).to.equal(1);
    const thumb = await sharp(await downloadSent(telegram, album[0]!)).metadata();
    expect([thumb.width, thumb.height]).to.deep.equal([128, 128]);
    const day = new Date().toISOString().slice(0, 10);
    expect(text.text).to.equal(`Your avatars (★ is the current one):\n1. Circle, ${day}\n2. Square, ${day}`);
    expect(buttons(text)).to.deep.equal([`avatar:current:${circle.id}`, `avatar:delete:${circle.id}`, `avatar:current:${square.id}`, `avatar:delete:${square.id}`]);

    after = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, text.message_id, `avatar:current:${square.id}`);
    await nextMessage(client(), user.id, after, (m) => m.text === 'This avatar is now your current one.');
    ({ text } = await list());
    expect(text.text).to.equal(`Your avatars (★ is the current one):\n1. Square, ${day} ★\n2. Circle, ${day}`);

    after = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, text.message_id, `avatar:delete:${circle.id}`);
    await nextMessage(client(), user.id, after, (m) => m.text === 'Avatar deleted, with all its stored files.');
    expect(await variantsOf(circle.id)).to.have.length(0);
    expect(await stack.knex('avatar_sets').where({ id: circle.id })).to.have.length(0);
    expect(await variantsOf(square.id)).to.have.length(6);
    // A second tap on the same button finds nothing to delete.
    after = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, text.message_id, `avatar:delete:${circle.id}`);
    await nextMessage(client(), user.id, after, (m) => m.text === 'That avatar no longer exists.');
    ({ text, album } = await list());
    expect(album.map((m) => m.caption)).to.deep.equal(['1']);
    expect(text.text).to.equal(`Your avatars (★ is the current one):\n1. Square, ${day} ★`);
  });

  it("another user's avatar can be neither deleted nor made current (button data is the user's to forge)", async () => {
    const owner = await registered();
    const after = await lastMessageId(client(), owner.id);
    const source = await plainJpeg(300, 300, '#aaaa22');
    await chooseStyle(client(), owner.id, () => client().sendPhoto(owner.id, source, { width: 300, height: 300 }));
    await delivered(owner.id, after);
    const [set] = await setsOf(owner.id);
    const intruder = await registered();
    const intruderId = (await stack.user(intruder.id)).id;
    const avatars = stack.workers!.deps.avatars;
    expect(await avatars.delete(intruderId, set.id)).to.equal(false);
    expect(await avatars.makeCurrent(intruderId, set.id)).to.equal(false);
    expect(await variantsOf(set.id)).to.have.length(6);
    expect((await setsOf(owner.id))[0].current).to.equal(false);
  });
});
