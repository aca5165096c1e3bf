import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { expect } from 'chai';
import { runTool, toWav, ToolMissingError, ToolTimeoutError } from '../../src/adapters/audio';
import { EngineRejectedError, EngineSetupError, EngineUnavailableError } from '../../src/adapters/speech';
import { OpenAiEngine } from '../../src/adapters/speech/openai';
import { PocketsphinxEngine } from '../../src/adapters/speech/pocketsphinx';
import { WhisperCppEngine } from '../../src/adapters/speech/whisper-cpp';
import { GO_FORWARD_TEXT, goForwardOgg } from '../support/audio';
import { SpeechServer } from '../support/speech-server';
import { freePort } from '../support/own-redis';

/** Each engine behind the one interface, against what it really talks to: a binary, or an HTTP server. */
describe('speech engines', function () {
  this.timeout(30_000);
  let dir: string;
  let wavPath: string;
  const signal = new AbortController().signal;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-engines-'));
    const input = path.join(dir, 'voice.ogg');
    writeFileSync(input, goForwardOgg());
    wavPath = path.join(dir, 'audio.wav');
    await toWav('ffmpeg', { path: input, head: goForwardOgg() }, wavPath, 60);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const request = (language?: string) => ({ wavPath, seconds: 2.79, language, signal, workDir: dir });
  const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (err: Error) => err);

  describe('openai (an OpenAI-compatible server over HTTP)', () => {
    let server: SpeechServer;
    beforeEach(async () => (server = await SpeechServer.start()));
    afterEach(() => server.close());
    const engine = (over: Partial<ConstructorParameters<typeof OpenAiEngine>[0]> = {}) =>
      new OpenAiEngine({ baseUrl: server.baseUrl, apiKey: 'sk-test-key', model: 'whisper-large-v3', timeoutMs: 5_000, ...over });

    it('posts the WAV as multipart with model, language and response_format, and reads the JSON text', async () => {
      server.answers.push({ status: 200, json: { text: '  Привет, мир  ' } });
      const result = await engine().transcribe(request('ru'));
      expect(result).to.deep.equal({ text: 'Привет, мир', language: 'ru' });
      expect(server.requests).to.have.length(1);
      const seen = server.requests[0]!;
      expect(seen.path).to.equal('/v1/audio/transcriptions');
      expect(seen.authorization).to.equal('Bearer sk-test-key');
      expect(seen.fields).to.deep.equal({ model: 'whisper-large-v3', response_format: 'json', language: 'ru' });
      expect(seen.file).to.include({ field: 'file', name: 'audio.wav', type: 'audio/wav' });
      expect(seen.file!.bytes.equals(readFileSync(wavPath))).to.equal(true);
    });

    it('sends no key to a server configured without one, and no language when the user has none', async () => {
      await engine({ apiKey: undefined, baseUrl: `${server.baseUrl}/` }).transcribe(request());
      expect(server.requests[0]!.authorization).to.equal(undefined);
      expect(server.requests[0]!.fields).to.not.have.property('language');
    });

    it('429, 5xx, an answer that is not JSON or has no text: unavailable (retried), with the server\'s words', async () => {
      server.answers.push(
        { status: 429, json: { error: { message: 'Rate limit reached' } } },
        { status: 503, body: 'upstream down' },
        { status: 200, body: '<html>proxy error</html>' },
        { status: 200, json: { transcript: 'wrong field' } },
      );
      const errors = [];
      for (let i = 0; i < 4; i++) errors.push(await failure(engine().transcribe(request('en'))));
      for (const e of errors) expect(e).to.be.instanceOf(EngineUnavailableError);
      expect(errors.map((e) => e.message)).to.deep.equal([
        'the transcription server is unavailable: HTTP 429: Rate limit reached',
        'the transcription server is unavailable: HTTP 503: upstream down',
        'the transcription server answered with something that is not JSON',
        'the transcription server answered without a "text" field',
      ]);
    });

    it('a refused request (401 bad key, 400 unknown model) is not retried, and the key never shows in the message', async () => {
      server.answers.push({ status: 401, json: { error: { message: 'Incorrect API key provided: sk-test-key' } } }, { status: 400, json: { error: { message: 'model not found' } } });
      const bad = await failure(engine().transcribe(request('en')));
      expect(bad).to.be.instanceOf(EngineRejectedError).and.instanceOf(UnrecoverableError);
      expect(bad.message).to.match(/^the transcription server refused the request: HTTP 401: Incorrect API key provided/);
      expect(bad.message).to.not.include('sk-test-key');
      expect((await failure(engine().transcribe(request('en')))).message).to.equal('the transcription server refused the request: HTTP 400: model not found');
    });

    it('a server that never answers times out (unavailable); a closed port is unavailable too', async () => {
      server.answers.push('hang');
      const slow = await failure(engine({ timeoutMs: 300 }).transcribe(request('en')));
      expect(slow).to.be.instanceOf(EngineUnavailableError);
      expect(slow.message).to.equal('the transcription server did not answer within 300 ms');
      const closed = await failure(engine({ baseUrl: `http://127.0.0.1:${await freePort()}/v1` }).transcribe(request('en')));
      expect(closed).to.be.instanceOf(EngineUnavailableError);
      expect(closed.message).to.match(/^the transcription server is unreachable/);
    });

    it('start-up: OpenAI itself without a key is refused with the setting to fill in', async () => {
      const err = await failure(new OpenAiEngine({ baseUrl: 'https://api.openai.com/v1', model: 'whisper-1', timeoutMs: 1000 }).check());
      expect(err).to.be.instanceOf(EngineSetupError);
      expect(err.message).to.include('TRANSCRIPT_API_KEY');
      await engine({ apiKey: undefined }).check();
    });
  });

  describe('pocketsphinx (Debian\'s binary and English model)', () => {
    it('hears "go forward ten meters" in the recording', async () => {
      const engine = new PocketsphinxEngine({ bin: 'pocketsphinx_continuous', modelDir: '/usr/share/pocketsphinx/model/en-us' });
      await engine.check();
      expect(await engine.transcribe(request('en'))).to.deep.equal({ text: GO_FORWARD_TEXT, language: 'en' });
    });

    it('start-up names the missing binary or model and the packages that install them', async () => {
      const noBin = await failure(new PocketsphinxEngine({ bin: 'pocketsphinx_nowhere', modelDir: '/usr/share/pocketsphinx/model/en-us' }).check());
      expect(noBin).to.be.instanceOf(EngineSetupError);
      expect(noBin.message).to.include('pocketsphinx is missing (POCKETSPHINX_BIN=pocketsphinx_nowhere)');
      expect(noBin.message).to.include('apt-get update && apt-get install -y pocketsphinx pocketsphinx-en-us');
      const noModel = await failure(new PocketsphinxEngine({ bin: 'pocketsphinx_continuous', modelDir: dir }).check());
      expect(noModel.message).to.include(`the pocketsphinx English model is missing (POCKETSPHINX_MODEL_DIR=${dir}`);
    });

    it('a try past its time bound is stopped', async () => {
      const engine = new PocketsphinxEngine({ bin: 'pocketsphinx_continuous', modelDir: '/usr/share/pocketsphinx/model/en-us' });
      const err = await failure(engine.transcribe({ ...request('en'), signal: AbortSignal.timeout(1) }));
      expect(err.name).to.equal('ToolTimeoutError');
    });
  });

  describe('running tools', () => {
    it('a tool past its bound is killed: the call ends long before the tool would have', async function () {
      // `sleep 30` left running would hold this test past its 5 s timeout.
      this.timeout(5_000);
      const err = await failure(runTool('sleep', ['30'], { signal: AbortSignal.timeout(200) }));
      expect(err).to.be.instanceOf(ToolTimeoutError);
    });

    it('a tool that is not installed is named', async () => {
      const err = await failure(runTool('/nonexistent/ffmpeg', ['-version']));
      expect(err).to.be.instanceOf(ToolMissingError);
      expect(err.message).to.equal('/nonexistent/ffmpeg is not installed or not executable (ENOENT)');
    });

    it("an engine's whole output is kept, however long", async () => {
      const r = await runTool('sh', ['-c', 'yes "go forward ten meters" | head -c 300000']);
      expect(r.stdout.length).to.equal(300_000);
    });
  });

  describe('whisper-cpp (a local binary and model)', () => {
    it('runs the binary with the model, the WAV and the language, and reads the text file it writes', async () => {
      // A stand-in for whisper-cli that follows its command line: -m model -f wav -l lang -otxt -of <out> → <out>.txt.
      const bin = path.join(dir, 'whisper-cli');
      const model = path.join(dir, 'ggml-base.bin');
      writeFileSync(model, 'model');
      writeFileSync(bin, `#!/bin/sh\necho "$@" > "${dir}/args"\nwhile [ $# -gt 0 ]; do [ "$1" = "-of" ] && out="$2"; shift; done\nprintf ' Hello there.\\n General Kenobi.\\n' > "$out.txt"\n`);
      chmodSync(bin, 0o755);
      const engine = new WhisperCppEngine({ bin, model });
      await engine.check();
      expect(await engine.transcribe(request('ru'))).to.deep.equal({ text: 'Hello there.\nGeneral Kenobi.', language: 'ru' });
      const args = readFileSync(path.join(dir, 'args'), 'utf8').trim();
      expect(args).to.equal(`-m ${model} -f ${wavPath} -l ru -nt -np -otxt -of ${path.join(dir, 'whisper')}`);
    });

    it('start-up names a missing binary or model file', async () => {
      expect((await failure(new WhisperCppEngine({ bin: '/nonexistent/whisper-cli', model: '/x' }).check())).message).to.include('whisper.cpp is missing (WHISPER_CPP_BIN=/nonexistent/whisper-cli)');
      expect((await failure(new WhisperCppEngine({ bin: 'sh', model: '/nonexistent/model.bin' }).check())).message).to.include('the whisper.cpp model file is missing (WHISPER_CPP_MODEL=/nonexistent/model.bin)');
    });
  });
});
