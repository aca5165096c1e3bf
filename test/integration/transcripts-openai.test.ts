import { Queue } from 'bullmq';
import { queuePrefix } from '../../src/lib/redis';
import { expect } from 'chai';
import { Telegram } from 'telegraf';
import { downloadSent, lastMessageId, nextMessage } from '../support/chat';
import { goForwardOgg } from '../support/audio';
import { SpeechServer } from '../support/speech-server';
import { startWorkerProcess } from '../../workers/worker-process';
import { workerDefinitions } from '../../workers';
import { Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const BONUS = 100;
const PER_MINUTE = 10;
const DOCUMENT_CHARS = 10_000;

/**
 * Transcripts with TRANSCRIPT_ENGINE=openai against a local OpenAI-compatible server: what the user sees when the
 * text is long, when the server fails for a while, and when it fails for good.
 */
describe('transcripts through an OpenAI-compatible server: long texts, retries, final failure', function () {
  this.timeout(60_000);
  let stack: Stack;
  let server: SpeechServer;
  let telegram: Telegram;
  let queue: Queue;
  before(async () => {
    server = await SpeechServer.start();
    stack = await Stack.start({
      env: {
        WELCOME_BONUS: String(BONUS), PRICE_TRANSCRIPT_PER_MINUTE: String(PER_MINUTE), RATE_LIMIT_BURST: '1000', CHAT_BURST: '30',
        TRANSCRIPT_ENGINE: 'openai', TRANSCRIPT_API_URL: server.baseUrl, TRANSCRIPT_API_KEY: 'sk-local', TRANSCRIPT_API_MODEL: 'whisper-large-v3',
        TRANSCRIPT_API_TIMEOUT_SECONDS: '1', TRANSCRIPT_RETRY_SECONDS: '0.2', TRANSCRIPT_DOCUMENT_CHARS: String(DOCUMENT_CHARS),
        // Shorter than the server's timeout: a shutdown gives up on an engine request still waiting.
        SHUTDOWN_TIMEOUT_MS: '200',
      },
      limits: { enabled: false },
    });
    telegram = new Telegram(stack.config.BOT_TOKEN!, { apiRoot: stack.config.TELEGRAM_API_ROOT });
    queue = new Queue('transcripts', { connection: stack.redis, prefix: queuePrefix(stack.redis, stack.config.QUEUE_PREFIX, 'transcripts') });
  });
  after(async () => {
    await queue?.close();
    await stack?.stop();
    await server?.close();
  });
  beforeEach(() => {
    server.answers = [];
    server.requests.length = 0;
  });
  const client = () => stack.client;
  // Its own Queue on the test's connection: it outlives the worker processes a test replaces.
  const createJob = async (telegramId: number) =>
    (await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'])).find(
      (j) => j.name === 'transcript.create' && j.data.actor.telegramId === telegramId,
    )!;
  /** A text of `words` numbered words, so a lost or repeated piece shows. */
  const longText = (words: number) => Array.from({ length: words }, (_, i) => `word${i}`).join(' ');

  it("a long transcript comes split over messages at Telegram's 4096 characters, nothing lost; the user's language is passed", async () => {
    const text = longText(1_200); // 9,489 characters: under DOCUMENT_CHARS, three messages
    server.answers.push({ status: 200, json: { text } });
    const user = await stack.registered('ru');
    const after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    await waitFor(async () => (await client().messages(user.id)).some((m) => m.text?.endsWith('word1199') === true), 'last part', 15_000);
    const parts = (await client().messages(user.id)).filter((m) => m.message_id > after && /word\d/.test(m.text ?? ''));
    expect(parts).to.have.length(3);
    for (const p of parts) expect(p.text!.length).to.be.at.most(4096);
    expect(parts[0]!.text!.startsWith('📝 Расшифровка (0:03):\n\nword0 ')).to.equal(true);
    const joined = parts.map((p) => p.text!).join(' ').replace('📝 Расшифровка (0:03):\n\n', '');
    expect(joined).to.equal(text);
    expect(server.requests[0]!.fields).to.deep.equal({ model: 'whisper-large-v3', response_format: 'json', language: 'ru' });
    expect(server.requests[0]!.authorization).to.equal('Bearer sk-local');
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PER_MINUTE);
  });

  it('past TRANSCRIPT_DOCUMENT_CHARS it comes as one .txt file holding the whole text', async () => {
    const text = longText(2_000); // 16,889 characters
    server.answers.push({ status: 200, json: { text } });
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    const file = await nextMessage(client(), user.id, after, (m) => !!m.document, 15_000);
    const doc = file.document as { file_name: string };
    expect(doc.file_name).to.match(/^transcript-\d+\.txt$/);
    expect(file.caption).to.equal('📝 Transcript (0:03):');
    expect((await downloadSent(telegram, file)).toString('utf8')).to.equal(text);
    expect((await client().messages(user.id)).some((m) => m.message_id > after && m.text?.includes('word1'))).to.equal(false);
  });

  it('the server down (503) and then too slow (past its timeout): retried with backoff, then transcribed, charged once', async () => {
    server.answers.push({ status: 503, json: { error: { message: 'overloaded' } } }, 'hang', { status: 200, json: { text: 'third time lucky' } });
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    const reply = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 20_000);
    expect(reply.text).to.equal('📝 Transcript (0:03):\n\nthird time lucky');
    expect(server.requests).to.have.length(3);
    await waitFor(async () => (await (await createJob(user.id)).getState()) === 'completed', 'job completed', 5_000);
    expect((await createJob(user.id)).attemptsMade).to.equal(3);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PER_MINUTE);
    // One "transcribing…" message for all three tries, edited once at the end.
    const progress = (await client().messages(user.id)).filter((m) => m.message_id > after && m.text?.startsWith('✅ Transcribed'));
    expect(progress).to.have.length(1);
    expect((await client().messages(user.id)).filter((m) => m.text?.startsWith('🎙'))).to.have.length(0);
  });

  it('an audio file from a user with exactly one minute of coins: the retry after a failure is not refused, the hold pays', async () => {
    server.answers.push({ status: 503, body: 'busy' }, { status: 200, json: { text: 'paid by the hold' } });
    const user = await stack.registered();
    const userId = Number((await stack.user(user.id)).id);
    await stack.workers!.deps.ledger.post({ userId, kind: 'grant', amount: -(BONUS - PER_MINUTE), idempotencyKey: `test:exact:${user.id}` });
    const after = await lastMessageId(client(), user.id);
    await client().sendDocument(user.id, goForwardOgg(), { file_name: 'memo.ogg', mime_type: 'audio/ogg' });
    const reply = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 15_000);
    expect(reply.text).to.equal('📝 Transcript (0:03):\n\npaid by the hold');
    expect(server.requests).to.have.length(2);
    expect(await stack.balanceOf(user.id)).to.equal(0);
    expect((await client().messages(user.id)).some((m) => m.text?.startsWith('Not enough coins'))).to.equal(false);
  });

  it('down for good: after its tries the user is told, in their language, that nothing was charged', async () => {
    server.fallback = { status: 502, body: 'bad gateway' };
    try {
      const user = await stack.registered('ru');
      const after = await lastMessageId(client(), user.id);
      await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
      await waitFor(async () => (await client().messages(user.id)).some((m) => m.message_id > after && m.text === 'Не удалось расшифровать запись. Монеты не списаны; попробуйте позже.'), 'told', 20_000);
      const job = await createJob(user.id);
      await waitFor(async () => (await job.getState()) === 'failed', 'job failed', 5_000);
      expect(server.requests).to.have.length(4);
      // Spaced by the backoff: 0.2 s, then twice as long each time (BullMQ's jitter-free custom strategy).
      const gaps = server.requests.slice(1).map((r, i) => r.at - server.requests[i]!.at);
      // Each above the configured wait; together well under BullMQ's default exponential backoff (1 s + 2 s + 4 s),
      // with room for each try's own work (hold lookup, download, ffmpeg) on a busy machine.
      gaps.forEach((gap, i) => expect(gap, `wait before try ${i + 2}`).to.be.at.least(200 * 2 ** i));
      expect(gaps.reduce((a, b) => a + b, 0), 'the three waits together').to.be.below(200 + 400 + 800 + 2_400);
      expect(await stack.balanceOf(user.id)).to.equal(BONUS);
      const holds = await stack.knex('holds as h').join('users as u', 'u.id', 'h.user_id').where('u.telegram_id', user.id).pluck('h.status');
      expect(holds).to.deep.equal(['released']);
      expect(await stack.knex('transcripts as t').join('users as u', 'u.id', 't.user_id').where('u.telegram_id', user.id).select('t.id')).to.deep.equal([]);
    } finally {
      server.fallback = { status: 200, json: { text: 'hello from the speech server' } };
    }
  });

  it('a refused request (a bad key: 401) is not retried: one request, the user is told, nothing charged', async () => {
    server.answers.push({ status: 401, json: { error: { message: 'Incorrect API key provided' } } });
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    await waitFor(async () => (await client().messages(user.id)).some((m) => m.message_id > after && m.text === 'Something went wrong while transcribing. You were not charged; please try again later.'), 'told', 10_000);
    const job = await createJob(user.id);
    await waitFor(async () => (await job.getState()) === 'failed', 'job failed', 5_000);
    expect(server.requests).to.have.length(1);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS);
  });

  it('a worker shut down mid-transcript hands the job back: no attempt spent, the hold kept, nothing told; another worker finishes it', async () => {
    server.answers.push('hang', { status: 200, json: { text: 'after the restart' } });
    const user = await stack.registered();
    const after = await lastMessageId(client(), user.id);
    await client().sendVoice(user.id, goForwardOgg(), { duration: 3 });
    await waitFor(() => server.requests.length === 1, 'engine request', 10_000);
    await stack.workers!.close();

    const job = await createJob(user.id);
    expect(await job.getState()).to.equal('delayed');
    expect(job.attemptsMade).to.equal(0);
    const holds = () => stack.knex('holds as h').join('users as u', 'u.id', 'h.user_id').where('u.telegram_id', user.id).pluck('h.status');
    expect(await holds()).to.deep.equal(['held']);

    stack.workers = await startWorkerProcess(stack.config, workerDefinitions, stack.log);
    const reply = await nextMessage(client(), user.id, after, (m) => m.text?.startsWith('📝') === true, 15_000);
    expect(reply.text).to.equal('📝 Transcript (0:03):\n\nafter the restart');
    expect(await holds()).to.deep.equal(['captured']);
    expect(await stack.balanceOf(user.id)).to.equal(BONUS - PER_MINUTE);
    const texts = (await client().messages(user.id)).filter((m) => m.message_id > after).map((m) => m.text ?? '');
    expect(texts.filter((t) => t.startsWith('Something went wrong') || t.startsWith('This request waited too long'))).to.deep.equal([]);
  });
});
