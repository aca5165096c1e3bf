import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { SandboxClient } from '../../src/sandbox/sandbox.client';
import { TEST_DATABASE_URL, TEST_REDIS_URL, uniquePrefix } from '../support/env';
import { freePort } from '../support/own-redis';
import { deleteKeysWithPrefix } from '../../src/lib/redis';
import { Redis } from 'ioredis';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * `npm start` on a machine without ffmpeg and without pg_restore, as a newcomer runs it: it comes up anyway, says
 * what is off and how to install it, and the bot answers a voice message and /backup instead of staying silent.
 */
describe('npm start without the media and backup tools', function () {
  this.timeout(90_000);
  let child: ChildProcess | undefined;
  let output = '';
  const prefix = uniquePrefix();

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const redis = new Redis(TEST_REDIS_URL);
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('comes up, names what is off, answers a voice message and /backup with "not available", and lists it in /readyz and /stats', async () => {
    const [sandboxPort, webPort] = [await freePort(), await freePort()];
    child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'ops', 'start.main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix,
        SANDBOX_PORT: String(sandboxPort), WEB_PORT: String(webPort), WORKER_PROCESSES: '1', LOG_LEVEL: 'warn',
        FFMPEG_BIN: '/nonexistent/ffmpeg', PG_RESTORE_BIN: '/nonexistent/pg_restore',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => child!.once('exit', r));

    const linkRe = /Talk to the bot in your browser: (\S+)/;
    await Promise.race([
      waitFor(() => linkRe.test(output), 'the printed link', 60_000),
      exited.then((code) => Promise.reject(new Error(`npm start exited with ${code}:\n${output}`))),
    ]);
    const link = linkRe.exec(output)![1]!;
    expect(output).to.include('Transcripts are OFF: ffmpeg is missing (FFMPEG_BIN=/nonexistent/ffmpeg)');
    expect(output).to.include('apt-get update && apt-get install -y ffmpeg');
    expect(output).to.include('Backups are OFF: pg_restore is missing (PG_RESTORE_BIN=/nonexistent/pg_restore)');
    expect(output).to.include('apt-get update && apt-get install -y postgresql-client');

    const url = new URL(link);
    const client = new SandboxClient(url.origin, url.searchParams.get('token')!);
    const user = await client.createUser({ first_name: 'Newcomer', language_code: 'ru' });
    await client.sendVoice(user.id, Buffer.from('OggS not really audio'), { duration: 3 });
    const [reply] = await client.waitForMessages(user.id, 1, 45_000);
    expect(reply!.text).to.equal('Расшифровка недоступна на этом сервере, поэтому я не могу превратить это в текст. Монеты не списаны.');

    // The page's "New admin user" is user 4242, an admin of the local bot.
    const admin = await client.createUser({ id: 4242, first_name: 'Admin' });
    // The admin also hears the processes start (notices a few seconds in): look for each answer by its text.
    const answered = async (re: RegExp) => {
      let text: string | undefined;
      await waitFor(async () => Boolean((text = (await client.messages(admin.id)).map((m) => m.text ?? '').find((t) => re.test(t)))), `an answer matching ${re}`, 20_000);
      return text!;
    };
    await client.sendText(admin.id, '/backup');
    expect(await answered(/^Backups are/)).to.equal('Backups are not available on this server: pg_dump or pg_restore is missing. Nothing was queued.');
    await client.sendText(admin.id, '/stats');
    expect(await answered(/^Users: /)).to.include('Off on this server: transcripts, backups');

    // The web process may still be starting (the link is printed before it listens).
    let answer: Response | undefined;
    await waitFor(async () => Boolean((answer = await fetch(`http://127.0.0.1:${webPort}/readyz`).catch(() => undefined))), 'the web process', 20_000);
    const ready = answer!;
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.deep.include({ status: 'ready', off: ['transcripts', 'backups'] });
  });
});
