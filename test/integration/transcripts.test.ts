import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WORK_DIR_PREFIX } from '../../src/domain/transcripts/transcript.handlers';
import { expect } from 'chai';
import { keyIdOf, Keyring } from '../../src/lib/crypto';
import { startWorkerProcess } from '../../workers/worker-process';
import { TranscriptsRepository } from '../../src/repositories/transcripts.repository';
import { testConfig } from '../support/env';
import { workerDefinitions } from '../../workers';
import { buttons, lastMessageId, nextMessage } from '../support/chat';
import { corruptOgg, GO_FORWARD_TEXT, goForwardOgg, pdf, silenceOgg, silentVideoMp4 } from '../support/audio';
import { createMetricsRegistry } from '../../src/observability/metrics.registry';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const BONUS = 100;
const PER_MINUTE = 10;
const MAX_SECONDS = 30;
const KEY_1 = Buffer.alloc(32, 1);
const KEY_2 = Buffer.alloc(32, 2);

/**
 * Transcripts through the whole platform with the offline engine: a user sends a voice message in the sandbox; the
 * transcripts worker holds the price, downloads, converts with ffmpeg, runs pocketsphinx, stores the text encrypted,
 * captures, and the notifications worker sends it back.
 */
describe('transcripts: voice to text with pocketsphinx, encrypted storage, bad input', function () {
  this.timeout(60_000);
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({
      env: {
        WELCOME_BONUS: String(BONUS), PRICE_TRANSCRIPT_PER_MINUTE: String(PER_MINUTE), TRANSCRIPT_MAX_SECONDS: String(MAX_SECONDS),
        RATE_LIMIT_BURST: '1000', CHAT_BURST: '30', CONCURRENCY_TRANSCRIPTS: '2', ENCRYPTION_KEY: KEY_1.toString('base64'),
      },
      limits: { enabled: false },
    });
  });
  after(() => stack?.stop());

  const client = () => stack.client;
  const rowsOf = (telegramId: number) =>
    stack.knex('transcripts as t').join('users as u', 'u.id', 't.user_id').where('u.telegram_id', telegramId).orderBy('t.id').select('t.*');
  const holdsOf = (telegramId: number) => stack.knex('holds as h').join('users as u', 'u.id', 'h.user_id').where('u.telegram_id', telegramId).orderBy('h.id').pluck('h.status');
  const jobsOf = async (telegramId: number) =>
    (await stack.workers!.deps.queues.get('transcripts').getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']))
      .filter((j) => j.name === 'transcript.create' && j.data.actor.telegramId === telegramId);

  it('"go forward ten meters" as an OGG/Opus voice message comes back as that text, for one minute\'s price', async () => {
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });

    const text = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    expect(text.text).to.equal(`📝 Transcript (0:03):\n\n${GO_FORWARD_TEXT}`);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PER_MINUTE);
    expect(await holdsOf(user.id)).to.deep.equal(['captured']);
    // Progress: "transcribing…" edited to what was charged, and the client showed "typing…".
    await waitFor(async () => (await client().messages(user.id)).some((m) => m.text === `✅ Transcribed 0:03: ${PER_MINUTE} coins were charged.`), 'progress done');
    expect((await client().chatActions(user.id)).map((a) => a.action)).to.include('typing');

    // Stored encrypted, the metadata in clear.
    const [row] = await rowsOf(user.id);
    expect(row).to.include({ engine: 'pocketsphinx', language: 'en', cost: PER_MINUTE, chars: GO_FORWARD_TEXT.length, key_id: keyIdOf(KEY_1) });
    expect(row.duration_seconds).to.be.closeTo(2.79, 0.05);
    expect(Buffer.from(row.text_sealed).includes(Buffer.from('forward'))).to.equal(false);
    await waitFor(async () => (await jobsOf(user.id))[0]?.finishedOn != null, 'the job finished');
    const [job] = await jobsOf(user.id);
    expect(job!.returnvalue).to.deep.include({ charged: PER_MINUTE });
    // The text never rode in a job: the reply names the transcript by id.
    const replies = await stack.workers!.deps.queues.get('notifications').getJobs(['completed']);
    expect(replies.every((j) => !JSON.stringify(j.data).includes('forward'))).to.equal(true);
    // The operator's view: /metrics counts it and has the engine's time against the audio's length.
    await stack.workers!.deps.metrics.flush();
    const metrics = await createMetricsRegistry(stack.redis, stack.config.QUEUE_PREFIX, stack.workers!.deps.queues, stack.knex).metrics();
    expect(metrics).to.include('switchyard_transcripts_total{engine="pocketsphinx",outcome="done"} 1');
    expect(metrics).to.include('switchyard_transcript_audio_seconds_bucket{engine="pocketsphinx",le="1"} 0');
    expect(metrics).to.include('switchyard_transcript_audio_seconds_bucket{engine="pocketsphinx",le="5"} 1');
    expect(metrics).to.match(/switchyard_transcript_engine_seconds_count\{engine="pocketsphinx"\} 1/);
  });

  it('the same recording sent again is answered from storage, free: nothing held, downloaded or run', async () => {
    const user = await stack.registered();
    let after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    const downloads = (await client().stats()).fileDownloads;
    after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    const again = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    expect(again.text).to.equal(`📝 Transcript (0:03) — you sent this recording before, so it is free:\n\n${GO_FORWARD_TEXT}`);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PER_MINUTE);
    expect(await holdsOf(user.id)).to.deep.equal(['captured']);
    expect((await client().stats()).fileDownloads).to.equal(downloads);
    expect(await rowsOf(user.id)).to.have.length(1);
  });

  it('the same recording sent twice at once is paid for and transcribed once; the second answer is free', async () => {
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    // Two workers take them at the same time (CONCURRENCY_TRANSCRIPTS=2).
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    const transcriptsSent = async () => (await client().messages(user.id)).filter((m) => m.message_id > after && m.text?.startsWith('📝')).map((m) => m.text);
    await waitFor(async () => (await transcriptsSent()).length === 2, 'both answered', 30_000);
    expect(await transcriptsSent()).to.have.members([
      `📝 Transcript (0:03):\n\n${GO_FORWARD_TEXT}`,
      `📝 Transcript (0:03) — you sent this recording before, so it is free:\n\n${GO_FORWARD_TEXT}`,
    ]);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PER_MINUTE);
    expect(await holdsOf(user.id)).to.deep.equal(['captured']);
    expect(await rowsOf(user.id)).to.have.length(1);
    // The second waited for the first (rather than arriving after it was done): the operator sees it in /metrics.
    await stack.workers!.deps.metrics.flush();
    const metrics = await createMetricsRegistry(stack.redis, stack.config.QUEUE_PREFIX, stack.workers!.deps.queues, stack.knex).metrics();
    expect(Number(/^switchyard_billing_holds_total\{service="transcript",outcome="waited"\} (\d+)$/m.exec(metrics)?.[1] ?? 0)).to.be.at.least(1);
  });

  it('a database dump of the transcripts table holds no transcript text', async () => {
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    const dump = execFileSync('pg_dump', ['--data-only', '--table=transcripts', stack.config.DATABASE_DIRECT_URL], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    // The rows are in the dump (their clear metadata and key ids), their words are not.
    expect(dump).to.include('COPY public.transcripts');
    expect(dump).to.include(keyIdOf(KEY_1));
    for (const word of ['forward', 'meters', GO_FORWARD_TEXT]) expect(dump, word).to.not.include(word);
  });

  it('an audio file sent as a document is decoded to learn its length, then transcribed and charged', async () => {
    const user = await stack.registered('ru');
    const after = await lastMessageId(client(), user.id);
    await client().sendDocument(user.id, goForwardOgg(), { file_name: 'memo.ogg', mime_type: 'audio/ogg' });
    const text = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    expect(text.text).to.equal(`📝 Расшифровка (0:03):\n\n${GO_FORWARD_TEXT}`);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PER_MINUTE);
  });

  it('a recording that declares 0 seconds is decoded to learn its length: transcribed whole, one minute charged', async () => {
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    await client().sendAudio(user.id, goForwardOgg(), { duration: 0, file_name: 'memo.ogg', mime_type: 'audio/ogg' });
    const text = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    expect(text.text).to.equal(`📝 Transcript (0:03):\n\n${GO_FORWARD_TEXT}`);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PER_MINUTE);
  });

  it('a file from a user who cannot pay one minute gets the top-up prompt, and is not downloaded', async () => {
    const user = await stack.registered();
    const userId = (await stack.user(user.id)).id;
    await stack.workers!.deps.ledger.post({ userId: Number(userId), kind: 'grant', amount: -(BONUS - 5), idempotencyKey: `test:drain:${user.id}` });
    const downloads = (await client().stats()).fileDownloads;
    const after = await lastMessageId(client(), user.id);
    await client().sendDocument(user.id, goForwardOgg(), { file_name: 'memo.ogg', mime_type: 'audio/ogg' });
    const answer = await nextMessage(client(), user.id, after, (m) => !!m.text, 10_000);
    expect(answer.text).to.equal(`Not enough coins: Transcript costs ${PER_MINUTE}, you have 5. Top up to continue.`);
    expect(buttons(answer)).to.deep.equal(['topup']);
    expect((await client().stats()).fileDownloads).to.equal(downloads);
    expect(await stack.balanceOf(user.id)).to.equal(5);
  });

  it('a transcript that cannot be decrypted (its key dropped) fails its send for good, and the chat goes on', async () => {
    const user = await stack.registered();
    const userId = Number((await stack.user(user.id)).id);
    // Sealed with a key this deployment was never given.
    const foreign = new TranscriptsRepository(stack.knex, new Keyring([Buffer.alloc(32, 9)]));
    const id = await foreign.save({ userId, requestKey: `test:foreign:${user.id}`, sourceUniqueId: 'AQADx', durationSeconds: 3, engine: 'pocketsphinx', cost: 10, text: 'lost words' });
    const enqueue = stack.workers!.deps.enqueue;
    const job = await enqueue('message.send', { chatId: user.id, transcript: { transcriptId: id }, template: { key: 'transcript.header', params: { duration: '0:03' } } });
    await enqueue('message.send', { chatId: user.id, text: 'next message' });
    await nextMessage(client(), user.id, 0, (m) => m.text === 'next message', 10_000);
    await waitFor(async () => (await job.getState()) === 'failed', 'send failed', 5_000);
    const failed = await stack.workers!.deps.queues.get('notifications').getJob(job.id!);
    expect(failed!.failedReason).to.match(/^the value is encrypted with key [0-9a-f]{8}, which is not in ENCRYPTION_KEY/);
    expect(failed!.attemptsMade).to.equal(1);
    expect((await client().messages(user.id)).some((m) => m.text?.includes('lost words'))).to.equal(false);
  });

  it('every bad input gets its reason, in the user\'s language, no charge and no retry', async () => {
    // `held`: the price was held before the download (a declared length), then released.
    const cases: Array<{ name: string; lang?: string; send: (id: number) => Promise<unknown>; reply: string; downloaded: boolean; held?: boolean }> = [
      { name: 'a PDF sent as audio', send: (id) => client().sendAudio(id, pdf(), { duration: 5, file_name: 'song.mp3' }), downloaded: true, held: true,
        reply: 'This is not audio I can read. Please send a voice message or an audio file (OGG, MP3, M4A, WAV, FLAC). You were not charged.' },
      { name: 'a zero-length voice', send: (id) => client().sendVoice(id, Buffer.alloc(0), { duration: 0 }), downloaded: false,
        reply: 'This recording is empty. You were not charged.' },
      { name: 'a corrupt OGG', send: (id) => client().sendVoice(id, corruptOgg(), { duration: 3 }), downloaded: true, held: true,
        reply: 'This audio file is damaged or incomplete, so I cannot read it. Please send it again. You were not charged.' },
      { name: 'over the duration limit (declared)', send: (id) => client().sendVoice(id, goForwardOgg(), { duration: MAX_SECONDS + 1 }), downloaded: false,
        reply: 'This recording is too long: the limit is 0:30. You were not charged.' },
      { name: 'over the duration limit (a file, decoded)', send: (id) => client().sendDocument(id, silenceOgg(MAX_SECONDS + 5), { file_name: 'long.ogg', mime_type: 'audio/ogg' }), downloaded: true,
        reply: 'This recording is too long: the limit is 0:30. You were not charged.' },
      { name: 'over 20 MB', send: (id) => client().sendVoice(id, goForwardOgg(), { duration: 3, declared_size: 21 * 1024 * 1024 }), downloaded: false,
        reply: 'This file is too large: I can download files up to 20 MB. You were not charged.' },
      { name: 'a video note without sound', send: (id) => client().sendVideoNote(id, silentVideoMp4(), { duration: 1 }), downloaded: true, held: true,
        reply: 'This is not audio I can read. Please send a voice message or an audio file (OGG, MP3, M4A, WAV, FLAC). You were not charged.' },
      { name: 'silence', send: (id) => client().sendVoice(id, silenceOgg(4), { duration: 4 }), downloaded: true, held: true,
        reply: 'I heard no speech in this recording. You were not charged.' },
      { name: 'a corrupt OGG, in Russian', lang: 'ru', send: (id) => client().sendVoice(id, corruptOgg(), { duration: 3 }), downloaded: true, held: true,
        reply: 'Аудиофайл повреждён или обрезан, прочитать его не получается. Пришлите его ещё раз. Монеты не списаны.' },
    ];
    const users = await Promise.all(cases.map((c) => stack.registered(c.lang)));
    const afters = await Promise.all(users.map((u) => lastMessageId(client(), u.id)));
    const downloadsBefore = (await client().stats()).fileDownloads;
    // All at once, one chat each: each answer reaches its own user.
    await Promise.all(cases.map((c, i) => c.send(users[i]!.id)));
    await Promise.all(cases.map(async (c, i) => {
      const user = users[i]!;
      // The reason is the reply, or the "transcribing…" message edited into it.
      await waitFor(async () => (await client().messages(user.id)).some((m) => m.message_id > afters[i]! && m.text === c.reply), `${c.name}: reply`, 20_000);
      const jobs = await jobsOf(user.id);
      await waitFor(async () => (await jobs[0]!.getState()) === 'completed', `${c.name}: job completed`, 10_000);
      const job = (await jobsOf(user.id))[0]!;
      // One try, completed (a refusal is an answer, not a failure).
      expect([job.attemptsMade, job.failedReason ?? null], `${c.name}: no retry`).to.deep.equal([1, null]);
      expect(await stack.balanceOf(user.id), `${c.name}: balance`).to.equal(BONUS);
      expect(await rowsOf(user.id), `${c.name}: nothing stored`).to.deep.equal([]);
      expect(await holdsOf(user.id), `${c.name}: holds`).to.deep.equal(c.held ? ['released'] : []);
      expect((await client().messages(user.id)).some((m) => m.text?.startsWith('📝') || m.document), `${c.name}: no transcript`).to.equal(false);
    }));
    // The declared refusals were answered without downloading anything.
    const downloaded = cases.filter((c) => c.downloaded).length;
    expect((await client().stats()).fileDownloads - downloadsBefore).to.equal(downloaded);
  });

  it('/transcripts lists them; its buttons show one again (free) or delete it, for their owner only', async () => {
    const user = await stack.registered();
    let after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    const balance = await stack.balanceOf(user.id);

    after = await lastMessageId(client(), user.id);
    await client().sendText(user.id, '/transcripts');
    const list = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('Your latest transcripts') === true);
    expect(list.text).to.match(/^Your latest transcripts:\n1\. 0:03 · \d{4}-\d\d-\d\d \d\d:\d\d · en · pocketsphinx$/);
    const [row] = await rowsOf(user.id);
    expect(buttons(list)).to.deep.equal([`transcript:show:${row.id}`, `transcript:delete:${row.id}`]);

    after = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, list.message_id, `transcript:show:${row.id}`);
    const again = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true);
    expect(again.text).to.equal(`📝 Transcript (0:03):\n\n${GO_FORWARD_TEXT}`);
    expect(await stack.balanceOf(user.id)).to.equal(balance);

    // Someone else's id (button data is theirs to forge) is not theirs to see or delete.
    const other = await stack.registered();
    for (const name of ['transcript.show', 'transcript.delete'] as const) {
      const otherAfter = await lastMessageId(client(), other.id);
      await stack.workers!.deps.enqueue(name, { actor: { telegramId: other.id, chatId: other.id }, transcriptId: Number(row.id) });
      const answer = await nextMessage(client(), other.id, otherAfter, (m) => !!m.text);
      expect(answer.text).to.equal('That transcript no longer exists.');
    }
    expect(await rowsOf(user.id)).to.have.length(1);

    after = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, list.message_id, `transcript:delete:${row.id}`);
    expect((await nextMessage(client(), user.id, after, (m) => !!m.text)).text).to.equal('Transcript deleted.');
    expect(await rowsOf(user.id)).to.deep.equal([]);
    after = await lastMessageId(client(), user.id);
    await client().pressButton(user.id, list.message_id, `transcript:show:${row.id}`);
    expect((await nextMessage(client(), user.id, after, (m) => !!m.text)).text).to.equal('That transcript no longer exists.');
  });

  it('a key rotation: the worker re-encrypts old values under the new key at start-up; the text stays the same; orphaned scratch folders go', async () => {
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    expect((await rowsOf(user.id))[0].key_id).to.equal(keyIdOf(KEY_1));

    // The operator puts a new key first and restarts the workers. (A worker killed mid-job left a scratch folder
    // behind long ago; one of a try still running elsewhere is recent.)
    await stack.workers!.close();
    const orphan = mkdtempSync(path.join(tmpdir(), WORK_DIR_PREFIX));
    const old = new Date(Date.now() - 2 * stack.config.TRANSCRIPT_TIMEOUT_SECONDS * 1000 - 60_000);
    utimesSync(orphan, old, old);
    const running = mkdtempSync(path.join(tmpdir(), WORK_DIR_PREFIX));
    const rotated = testConfig({
      QUEUE_PREFIX: stack.config.QUEUE_PREFIX, BOT_TOKEN: stack.config.BOT_TOKEN!, TELEGRAM_API_ROOT: stack.config.TELEGRAM_API_ROOT,
      CHAT_BURST: '30', ENCRYPTION_KEY: `${KEY_2.toString('hex')},${KEY_1.toString('base64')}`,
    });
    stack.workers = await startWorkerProcess(rotated, workerDefinitions, stack.log);
    expect(existsSync(orphan), 'an orphaned scratch folder is removed at start-up').to.equal(false);
    expect(existsSync(running), 'a recent one is left to its try').to.equal(true);
    rmSync(running, { recursive: true });
    const queue = stack.workers.deps.queues.get('transcripts');
    let result: { reencrypted: number; left: number } | undefined;
    await waitFor(async () => !!(result = (await queue.getJob(`reencrypt-${keyIdOf(KEY_2)}`))?.returnvalue), 're-encryption job done', 15_000);
    expect(result!.reencrypted).to.be.at.least(1);
    expect(result!.left).to.equal(0);
    // Nothing is left under the old key (rows other tests sealed with other keys are not this job's to touch).
    expect(await stack.knex('transcripts').where({ key_id: keyIdOf(KEY_1) }).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    expect((await rowsOf(user.id))[0].key_id).to.equal(keyIdOf(KEY_2));
    // Readable with the new key alone: the old one can now be dropped from ENCRYPTION_KEY.
    const [row] = await rowsOf(user.id);
    expect((await new TranscriptsRepository(stack.knex, new Keyring([KEY_2])).read(Number(row.id)))!.text).to.equal(GO_FORWARD_TEXT);
    // And the user still gets it.
    const before = await lastMessageId(client(), user.id);
    await client().sendText(user.id, '/transcripts');
    const list = await nextMessage(client(), user.id, before, (m) => m.text?.startsWith('Your latest') === true);
    await client().pressButton(user.id, list.message_id, `transcript:show:${row.id}`);
    expect((await nextMessage(client(), user.id, list.message_id, (m) => m.text?.startsWith('📝') === true)).text).to.include(GO_FORWARD_TEXT);
  });
});
