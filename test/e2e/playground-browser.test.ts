import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SandboxClient } from '../../src/sandbox/sandbox.client';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/sandbox.server';
import { GO_FORWARD_RAW, goForwardOgg, pdf } from '../support/audio';
import { testToken } from '../support/env';
import { plainJpeg } from '../support/images';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BONUS = 100;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

/**
 * The sandbox's web chat (the playground) as a person uses it, in Debian's Chromium driven by playwright-core, against
 * the whole platform in-process (bot, workers, Redis, Postgres): every test asserts what the page shows.
 */
describe('the sandbox playground in a real browser', function () {
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;
  let scratch: string;
  let context: BrowserContext | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
    // The fake microphone plays this file: "go forward ten meters" with a little silence around it.
    scratch = mkdtempSync(path.join(tmpdir(), 'switchyard-playground-'));
    const wav = path.join(scratch, 'goforward.wav');
    execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', GO_FORWARD_RAW,
      '-af', 'adelay=300,apad=pad_dur=3', '-c:a', 'pcm_s16le', wav]);
    stack = await Stack.start({
      env: { WELCOME_BONUS: String(BONUS), RATE_LIMIT_BURST: '1000', CHAT_BURST: '30', PRICE_AVATAR: '20', PRICE_TRANSCRIPT_PER_MINUTE: '10' },
      limits: { enabled: false },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`],
    });
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  async function open(url = stack.sandbox.url, token = stack.config.BOT_TOKEN!): Promise<Page> {
    context = await browser.newContext({ permissions: ['microphone'] });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('[playground page]', err));
    await page.goto(`${url}/?token=${encodeURIComponent(token)}`);
    return page;
  }
  async function newUser(page: Page, name: string, lang: 'en' | 'ru' = 'en'): Promise<void> {
    await page.getByLabel('First name').fill(name);
    await page.getByLabel('Language').selectOption(lang);
    await page.getByRole('button', { name: 'New user' }).click();
    await page.locator('#users button[aria-current="true"]', { hasText: name }).waitFor();
  }
  async function send(page: Page, text: string): Promise<void> {
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
  }
  const botSays = (page: Page, text: string | RegExp) => page.locator('#log .row.bot', { hasText: text });
  async function registered(page: Page, name: string, lang: 'en' | 'ru' = 'en'): Promise<void> {
    await newUser(page, name, lang);
    await send(page, '/start');
    await botSays(page, lang === 'en' ? 'Welcome to Switchyard!' : 'Добро пожаловать').waitFor();
  }

  it('a new user sends /start and reads the welcome; a Russian user reads Russian; both chats are there after a reload', async () => {
    const page = await open();
    await registered(page, 'Anna');
    await page.locator('#log .row.me', { hasText: '/start' }).waitFor();
    await registered(page, 'Иван', 'ru');
    await page.reload();
    // The last chosen user comes back with the chat, which lives in the sandbox.
    await page.locator('#users button[aria-current="true"]', { hasText: 'Иван' }).waitFor();
    await botSays(page, 'Добро пожаловать в Switchyard!').waitFor();
    await page.locator('#users button', { hasText: 'Anna' }).click();
    await botSays(page, 'Welcome to Switchyard!').waitFor();
    expect(await page.locator('#botName').textContent()).to.match(/^Sandbox Bot \d+/);
  });

  it('the "/" menu lists the commands the bot published at start, in the user\'s language, and sends the one clicked', async () => {
    const page = await open();
    await registered(page, 'Menu');
    await page.getByRole('button', { name: 'Bot commands' }).click();
    const items = page.getByRole('menuitem');
    const english = await items.allTextContents();
    expect(english).to.have.length(14);
    expect(english).to.include.members(['/startregister and get a welcome', '/balanceyour coins', '/helpthis list']);
    await page.getByRole('menuitem', { name: '/balance' }).click();
    await botSays(page, `Your balance: ${BONUS} coins.`).waitFor();
    await registered(page, 'Меню', 'ru');
    await page.getByRole('button', { name: 'Bot commands' }).click();
    expect(await items.allTextContents()).to.include.members(['/balanceваши монеты', '/helpэтот список']);
    await page.keyboard.press('Escape');
    expect(await page.locator('#cmdMenu').isHidden()).to.equal(true);
  });

  it('an inline button pressed in the page reaches the bot, which edits the message in place', async () => {
    const page = await open();
    await registered(page, 'Buttons');
    await send(page, '/settings');
    const settings = botSays(page, 'Language: English');
    await settings.waitFor();
    await page.getByRole('button', { name: 'Русский' }).click();
    await botSays(page, 'Язык: русский').waitFor();
    // Edited, not sent anew: the English text is gone and the bubble says so.
    expect(await settings.count()).to.equal(0);
    expect(await botSays(page, 'Язык: русский').locator('.meta').textContent()).to.match(/^edited · /);
  });

  it('a photo chosen with the file picker gets the style buttons, then the avatar, rendered as an image', async () => {
    const page = await open();
    await registered(page, 'Photo');
    await page.locator('#file').setInputFiles({ name: 'me.jpg', mimeType: 'image/jpeg', buffer: await plainJpeg(640, 480) });
    const mine = page.locator('#log .row.me img');
    await mine.waitFor();
    await botSays(page, 'Which style?').waitFor();
    await page.getByRole('button', { name: 'Square' }).click();
    const avatar = page.locator('#log .row.bot img');
    await avatar.waitFor({ timeout: 30_000 });
    await waitFor(() => avatar.evaluate((img: any) => img.complete && img.naturalWidth > 0), 'the avatar image loaded');
    expect(await avatar.evaluate((img: any) => [img.naturalWidth, img.naturalHeight])).to.deep.equal([512, 512]);
    // The made avatar also comes as a file: a download link with its name.
    await page.locator('#log .row.bot a.file').waitFor();
  });

  it('a file dropped onto the chat is sent as a document and reaches the bot', async () => {
    const page = await open();
    await registered(page, 'Drop');
    const bots = await page.locator('#log .row.bot').count();
    // What a drag from the file manager produces: dragenter, dragover, drop with the file in a DataTransfer.
    await page.evaluate((bytes) => {
      const w = globalThis as any; // the page's window (this project compiles without the DOM library)
      const dt = new w.DataTransfer();
      dt.items.add(new w.File([new Uint8Array(bytes)], 'notes.pdf', { type: 'application/pdf' }));
      const log = w.document.getElementById('log');
      for (const type of ['dragenter', 'dragover', 'drop']) log.dispatchEvent(new w.DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }, [...pdf()]);
    await page.locator('#log .row.me a.file', { hasText: 'notes.pdf' }).waitFor();
    // The avatars feature took it (a document) and refused it as not an image: the bot's answer is in the page.
    await botSays(page, 'I could not read this as an image').waitFor({ timeout: 15_000 });
    expect(await page.locator('#log .row.bot').count()).to.equal(bots + 1);
    const user = (await stack.client.users()).find((u) => u.first_name === 'Drop')!;
    expect((await stack.client.history(user.id)).find((m) => m.document)?.document).to.include({ file_name: 'notes.pdf', mime_type: 'application/pdf' });
  });

  it('an invoice shows as a card; Pay goes through checkout, marks it paid, and /balance shows the coins', async () => {
    const page = await open();
    await registered(page, 'Payer');
    await send(page, '/topup');
    await botSays(page, 'Choose a package').waitFor();
    await page.locator('#log .inline-kb button').first().click();
    const card = page.locator('#log .invoice');
    await card.waitFor();
    const price = (await card.locator('.price').textContent())!;
    expect(price).to.match(/^⭐ \d+$/);
    await card.getByRole('button', { name: /^Pay ⭐/ }).click();
    await card.locator('.state.paid').waitFor();
    await page.locator('#log .service', { hasText: `You paid ${price}` }).waitFor();
    await botSays(page, 'Thank you!').waitFor();
    const coins = Number(/(\d+) coins were added/.exec((await botSays(page, 'Thank you!').textContent())!)![1]);
    await send(page, '/balance');
    await botSays(page, `Your balance: ${BONUS + coins} coins.`).waitFor();
  });

  it('a voice recorded with the microphone is transcribed end to end; the progress message is edited in place', async () => {
    const page = await open();
    await registered(page, 'Voice');
    await page.getByRole('button', { name: 'Record a voice message' }).click();
    await page.getByRole('button', { name: 'Stop recording and send' }).waitFor();
    await page.waitForTimeout(3600);
    await page.getByRole('button', { name: 'Stop recording and send' }).click();
    // The recording arrives as the user's voice message (the sandbox made it OGG/Opus), playable in the page.
    await page.locator('#log .row.me audio').waitFor({ timeout: 15_000 });
    const transcript = botSays(page, '📝 Transcript');
    await transcript.waitFor({ timeout: 45_000 });
    expect((await transcript.textContent())!.toLowerCase()).to.include('forward');
    await botSays(page, '✅ Transcribed').waitFor();
    expect(await botSays(page, '🎙 Transcribing').count()).to.equal(0);
    expect(await botSays(page, '✅ Transcribed').locator('.meta').textContent()).to.match(/^edited · /);
    const user = (await stack.client.users()).find((u) => u.first_name === 'Voice')!;
    const voice = (await stack.client.history(user.id)).find((m) => m.voice);
    expect(voice?.voice).to.include({ mime_type: 'audio/ogg' });
  });
});

/** Sandbox-only behaviour of the page (a test plays the bot through the Bot API): no platform needed. */
describe('the sandbox playground against a bare sandbox', function () {
  this.timeout(60_000);
  let browser: Browser;
  let sandbox: RunningSandbox;
  let context: BrowserContext | undefined;
  let token: string;
  let client: SandboxClient;
  const call = (method: string, params: object, url = sandbox.url) =>
    fetch(`${url}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) }).then((r) => r.json());

  before(async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  beforeEach(async () => {
    // The test plays a bot that sends several things at once: Telegram's per-chat pace is not what is tested here.
    sandbox = await startSandbox({ adminId: 4242, limits: { enabled: false } });
    token = testToken();
    client = new SandboxClient(sandbox.url, token);
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
    await sandbox?.close();
  });
  after(async () => {
    await browser?.close();
  });

  async function open(): Promise<Page> {
    context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sandbox.url}/?token=${encodeURIComponent(token)}`);
    return page;
  }

  it('"New admin user" creates the user with the configured id, then switches to it instead of making another', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'New admin user' }).click();
    await page.locator('#users button[aria-current="true"]', { hasText: 'Admin' }).waitFor();
    expect((await client.users()).map((u) => [u.id, u.first_name])).to.deep.equal([[4242, 'Admin']]);
    await page.getByLabel('First name').fill('Other');
    await page.getByRole('button', { name: 'New user' }).click();
    await page.locator('#users button[aria-current="true"]', { hasText: 'Other' }).waitFor();
    await page.getByRole('button', { name: 'Switch to the admin user' }).click();
    await page.locator('#users button[aria-current="true"]', { hasText: 'Admin' }).waitFor();
    expect(await client.users()).to.have.length(2);
  });

  it('reply keyboards show under the input, send their text, hide after one use or on remove_keyboard; chat actions show and expire', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.locator('#users button[aria-current="true"]').waitFor();
    const [user] = await client.users();
    await call('sendMessage', { chat_id: user!.id, text: 'Pick a side', reply_markup: { keyboard: [[{ text: 'Left' }, 'Right']], one_time_keyboard: true, resize_keyboard: true } });
    const keyboard = page.getByLabel('Bot keyboard');
    await keyboard.getByRole('button', { name: 'Left' }).click();
    await page.locator('#log .row.me', { hasText: 'Left' }).waitFor();
    await waitFor(() => keyboard.isHidden(), 'the one-time keyboard hid');
    expect((await client.history(user!.id)).at(-1)?.text).to.equal('Left');
    await call('sendMessage', { chat_id: user!.id, text: 'Again', reply_markup: { keyboard: [['Up']] } });
    await keyboard.getByRole('button', { name: 'Up' }).click();
    await page.locator('#log .row.me', { hasText: 'Up' }).waitFor();
    expect(await keyboard.isVisible()).to.equal(true);
    await call('sendMessage', { chat_id: user!.id, text: 'Done', reply_markup: { remove_keyboard: true } });
    await waitFor(() => keyboard.isHidden(), 'remove_keyboard hid it');
    await call('sendChatAction', { chat_id: user!.id, action: 'record_voice' });
    await page.locator('#status', { hasText: 'recording voice…' }).waitFor();
    await page.locator('#status', { hasText: /^bot$/ }).waitFor({ timeout: 7000 });
  });

  it('the bot\'s album, voice and document show inline: images load, the voice plays in <audio>, the file is a named link', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.locator('#users button[aria-current="true"]').waitFor();
    const [user] = await client.users();
    const form = new FormData();
    form.append('chat_id', String(user!.id));
    form.append('media', JSON.stringify([{ type: 'photo', media: 'attach://a', caption: 'Two views' }, { type: 'photo', media: 'attach://b' }]));
    form.append('a', new Blob([await plainJpeg(300, 200, '#cc3366')]), 'a.jpg');
    form.append('b', new Blob([await plainJpeg(200, 300)]), 'b.jpg');
    expect(((await (await fetch(`${sandbox.url}/bot${token}/sendMediaGroup`, { method: 'POST', body: form })).json()) as any).ok).to.equal(true);
    const album = page.locator('#log .row.bot .album');
    await album.waitFor();
    await waitFor(() => album.locator('img').evaluateAll((imgs: any[]) => imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0)), 'both album images loaded');
    expect(await page.locator('#log .row.bot', { hasText: 'Two views' }).count()).to.equal(1);
    const voice = new FormData();
    voice.append('chat_id', String(user!.id));
    voice.append('duration', '3');
    voice.append('voice', new Blob([goForwardOgg()]), 'voice.ogg');
    expect(((await (await fetch(`${sandbox.url}/bot${token}/sendVoice`, { method: 'POST', body: voice })).json()) as any).ok).to.equal(true);
    const audio = page.locator('#log .row.bot audio');
    await audio.waitFor();
    await waitFor(() => audio.evaluate((a: any) => a.readyState >= 1 && Math.round(a.duration) === 3), 'the voice loaded in <audio>');
    const doc = new FormData();
    doc.append('chat_id', String(user!.id));
    doc.append('document', new Blob(['a;b\n']), 'отчёт.csv');
    expect(((await (await fetch(`${sandbox.url}/bot${token}/sendDocument`, { method: 'POST', body: doc })).json()) as any).ok).to.equal(true);
    const link = page.locator('#log .row.bot a.file', { hasText: 'отчёт.csv' });
    await link.waitFor();
    expect(await link.getAttribute('download')).to.equal('отчёт.csv');
    const body = await page.evaluate((href) => fetch(href!).then((r) => r.text()), await link.getAttribute('href'));
    expect(body).to.equal('a;b\n');
  });

  it('a pre-checkout the bot refuses shows on the invoice card with the bot\'s message', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.locator('#users button[aria-current="true"]').waitFor();
    const [user] = await client.users();
    await call('sendInvoice', { chat_id: user!.id, title: '100 coins', description: 'Coins for the bot', payload: 'p', currency: 'XTR', prices: [{ label: '100 coins', amount: 50 }] });
    const card = page.locator('#log .invoice');
    await card.locator('.price', { hasText: '⭐ 50' }).waitFor();
    // Play the bot: refuse the pre-checkout query when it comes.
    const refusing = (async () => {
      for (let offset = 0; ;) {
        const updates = ((await call('getUpdates', { offset, timeout: 5 })) as any).result as any[];
        for (const u of updates) {
          offset = u.update_id + 1;
          if (u.pre_checkout_query) return call('answerPreCheckoutQuery', { pre_checkout_query_id: u.pre_checkout_query.id, ok: false, error_message: 'Sold out, sorry' });
        }
      }
    })();
    await card.getByRole('button', { name: 'Pay ⭐ 50' }).click();
    await refusing;
    await card.locator('.state.refused', { hasText: 'Payment refused: Sold out, sorry' }).waitFor();
    expect(await card.getByRole('button', { name: 'Pay ⭐ 50' }).isEnabled()).to.equal(true);
  });

  it('after the sandbox restarts, the page reconnects by itself and reloads what it shows', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'New user' }).click();
    await page.locator('#users button[aria-current="true"]').waitFor();
    const [user] = await client.users();
    await call('sendMessage', { chat_id: user!.id, text: 'before the restart' });
    await page.locator('#log .row.bot', { hasText: 'before the restart' }).waitFor();
    const port = Number(new URL(sandbox.url).port);
    await sandbox.close();
    await page.locator('#status', { hasText: 'connecting…' }).waitFor();
    // A fresh sandbox on the same port knows nothing: the same user is created again, and the bot writes.
    sandbox = await startSandbox({ port, adminId: 4242, limits: { enabled: false } });
    await client.createUser({ id: user!.id, first_name: 'Again' });
    await call('sendMessage', { chat_id: user!.id, text: 'after the restart' });
    await page.locator('#log .row.bot', { hasText: 'after the restart' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#log .row.bot', { hasText: 'before the restart' }).count()).to.equal(0);
    await page.locator('#users button', { hasText: 'Again' }).waitFor();
    await page.locator('#status', { hasText: /^bot$/ }).waitFor();
  });
});
