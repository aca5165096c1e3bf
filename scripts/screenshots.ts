/**
 * `npm run screenshots`: pictures of the playground and of Bull Board for the README and docs/SANDBOX.md.
 *
 * It runs `npm start`'s launcher (dist/src/ops/start.main.js) against a database and a key prefix of its own, plays
 * three users through the sandbox's control API (a photo turned into an avatar, a voice message and its
 * transcript, a payment), then opens each chat and Bull Board in Debian's Chromium and writes docs/images/*.png.
 * Needs what the tests need: Redis, Postgres, chromium, ffmpeg, pocketsphinx and an emoji font
 * (fonts-noto-color-emoji).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { onServer } from '../src/db/knex';
import { deleteKeysWithPrefix } from '../src/lib/redis';
import { SandboxClient, type SandboxMessage } from '../src/sandbox/sandbox.client';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'docs', 'images');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const EMOJI_FONT = '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf';
const GO_FORWARD_RAW = '/usr/share/pocketsphinx/test/data/goforward.raw';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.SCREENSHOTS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchyard_screenshots';
const PREFIX = `screenshots-${process.pid}`;
const BOARD = { user: 'operator', password: 'screenshots only' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The bot's messages in a chat once one of them matches. */
async function botMessage(client: SandboxClient, chatId: number, what: string, match: (m: SandboxMessage) => boolean, timeoutMs = 60_000): Promise<SandboxMessage> {
  return until(what, timeoutMs, async () => (await client.messages(chatId)).find(match));
}

function missingTools(): string[] {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push(`chromium (${CHROMIUM}): apt-get install -y chromium`);
  if (!existsSync(EMOJI_FONT)) missing.push('an emoji font: apt-get install -y fonts-noto-color-emoji');
  if (spawnSync('ffmpeg', ['-version']).status !== 0) missing.push('ffmpeg: apt-get install -y ffmpeg');
  if (!existsSync(GO_FORWARD_RAW)) missing.push('the recording: apt-get install -y pocketsphinx pocketsphinx-en-us pocketsphinx-testdata');
  return missing;
}

/** A photo worth turning into an avatar: a sunset-coloured gradient with a round "face". */
async function portrait(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="720">
    <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ff9a5a"/><stop offset="1" stop-color="#6a3fb5"/></linearGradient></defs>
    <rect width="960" height="720" fill="url(#g)"/><circle cx="480" cy="330" r="170" fill="#ffd9b3"/>
    <circle cx="420" cy="300" r="18" fill="#333"/><circle cx="540" cy="300" r="18" fill="#333"/>
    <path d="M400 390 Q480 450 560 390" stroke="#333" stroke-width="14" fill="none"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

function goForwardOgg(): Buffer {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', GO_FORWARD_RAW, '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg', 'pipe:1'], { maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Opens the playground on one user's chat and photographs it once `ready` is on the page. */
async function shootChat(browser: Browser, link: string, userId: number, ready: string, file: string): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 }, deviceScaleFactor: 1 });
  try {
    await openChat(page, link, userId);
    await page.getByText(ready, { exact: false }).last().waitFor({ timeout: 20_000 });
    // Images (the avatar) finish loading before the picture is taken.
    await page.waitForFunction('[...document.images].every((i) => i.complete)', undefined, { timeout: 10_000 });
    await page.screenshot({ path: path.join(OUT, file) });
    console.log(`wrote docs/images/${file}`);
  } finally {
    await page.close();
  }
}

/** The playground remembers the chosen user; choosing it from the user list is what a person would do. */
async function openChat(page: Page, link: string, userId: number): Promise<void> {
  await page.goto(link);
  await page.locator(`button[data-user="${userId}"]`).click();
}

async function main(): Promise<void> {
  const missing = missingTools();
  if (missing.length) {
    console.error(`npm run screenshots needs:\n  ${missing.join('\n  ')}`);
    process.exit(1);
  }
  await mkdir(OUT, { recursive: true });
  const [sandboxPort, webPort] = [await freePort(), await freePort()];
  let output = '';
  const launcher: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'ops', 'start.main.js')], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: 'development', BOT_TOKEN: '', DATABASE_URL, REDIS_URL, QUEUE_PREFIX: PREFIX,
      SANDBOX_PORT: String(sandboxPort), WEB_PORT: String(webPort), WORKER_PROCESSES: '1', LOG_LEVEL: 'warn',
      BOARD_USER: BOARD.user, BOARD_PASSWORD: BOARD.password, BACKUP_CRON: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  launcher.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  let browser: Browser | undefined;
  try {
    const link = await until('npm start printing its link', 90_000, async () => {
      if (launcher.exitCode !== null) throw new Error(`npm start exited with ${launcher.exitCode}:\n${output}`);
      return /Talk to the bot in your browser: (\S+)/.exec(output)?.[1];
    });
    const url = new URL(link);
    const client = new SandboxClient(url.origin, url.searchParams.get('token')!);

    // A photo turned into an avatar.
    const anna = await client.createUser({ first_name: 'Anna', language_code: 'en' });
    await client.sendText(anna.id, '/start');
    await botMessage(client, anna.id, 'the welcome', (m) => /welcome/i.test(m.text ?? ''));
    const photo = await client.sendPhoto(anna.id, await portrait(), { width: 960, height: 720 });
    const offer = await botMessage(client, anna.id, 'the style offer', (m) => JSON.stringify(m.reply_markup ?? {}).includes('avatar:style'));
    const circle = (offer.reply_markup as { inline_keyboard: { text: string; callback_data?: string }[][] }).inline_keyboard.flat().find((b) => b.callback_data?.endsWith(':circle'));
    await client.pressButton(anna.id, offer.message_id, circle?.callback_data ?? `avatar:style:${photo.message?.message_id}:circle`);
    await botMessage(client, anna.id, 'the avatar', (m) => Boolean(m.photo));

    // A voice message and its transcript.
    const boris = await client.createUser({ first_name: 'Борис', language_code: 'ru' });
    await client.sendText(boris.id, '/start');
    await botMessage(client, boris.id, 'the welcome', () => true);
    await client.sendVoice(boris.id, goForwardOgg(), { duration: 3, mime_type: 'audio/ogg' });
    await botMessage(client, boris.id, 'the transcript', (m) => /forward/i.test(m.text ?? ''), 120_000);

    // A payment: the top-up offer, an invoice, Pay, the new balance.
    const chen = await client.createUser({ first_name: 'Chen', language_code: 'en' });
    await client.sendText(chen.id, '/start');
    await botMessage(client, chen.id, 'the welcome', () => true);
    await client.sendText(chen.id, '/topup');
    const packages = await botMessage(client, chen.id, 'the top-up packages', (m) => JSON.stringify(m.reply_markup ?? {}).includes('topup:'));
    const first = (packages.reply_markup as { inline_keyboard: { callback_data?: string }[][] }).inline_keyboard.flat().find((b) => b.callback_data?.startsWith('topup:'))!;
    await client.pressButton(chen.id, packages.message_id, first.callback_data!);
    const invoice = await botMessage(client, chen.id, 'the invoice', (m) => Boolean(m.invoice));
    const paid = await client.payInvoice(chen.id, invoice.message_id);
    if (!paid.ok) throw new Error(`the payment was refused: ${paid.error_message}`);
    const before = (await client.messages(chen.id)).length;
    await until('the payment receipt', 60_000, async () => ((await client.messages(chen.id)).length > before ? true : undefined));
    await client.sendText(chen.id, '/balance');
    await botMessage(client, chen.id, 'the balance', (m) => /balance/i.test(m.text ?? '') && m.message_id > invoice.message_id);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--lang=en-US'],
    });
    await shootChat(browser, link, anna.id, 'Your avatar is ready', 'playground-avatar.png');
    await shootChat(browser, link, boris.id, 'go forward', 'playground-voice.png');
    await shootChat(browser, link, chen.id, 'Your balance', 'playground-payment.png');

    const board = await browser.newPage({ viewport: { width: 1280, height: 760 }, httpCredentials: { username: BOARD.user, password: BOARD.password } });
    await board.goto(`http://127.0.0.1:${webPort}/admin/queues`);
    await board.getByText('notifications').first().waitFor({ timeout: 20_000 });
    await board.waitForTimeout(500);
    await board.screenshot({ path: path.join(OUT, 'bull-board.png') });
    console.log('wrote docs/images/bull-board.png');
  } finally {
    await browser?.close();
    if (launcher.exitCode === null) {
      const exited = new Promise((r) => launcher.once('exit', r));
      launcher.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (launcher.exitCode === null) launcher.kill('SIGKILL');
    }
    const redis = new Redis(REDIS_URL);
    await deleteKeysWithPrefix(redis, PREFIX);
    await redis.quit();
    await onServer(DATABASE_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${new URL(DATABASE_URL).pathname.slice(1)}" WITH (FORCE)`)).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(`npm run screenshots failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
