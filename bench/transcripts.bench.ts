import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toWav } from '../src/adapters/audio';
import { PocketsphinxEngine } from '../src/adapters/speech/pocketsphinx';
import { goForwardRepeated } from '../test/support/audio';
import { startDeployment } from './deployment';

const REPEATS = Number(process.env.BENCH_TRANSCRIPT_REPEATS ?? 10);
const RUNS = Number(process.env.BENCH_TRANSCRIPT_RUNS ?? 9);
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface TranscriptBench {
  audioSeconds: number;
  runs: number;
  /** Real-time factor (processing seconds ÷ audio seconds), medians. */
  engineRtf: number;
  workerRtf: number;
  overhead: number;
  /** The same from the fastest run of each (the shared vCPUs vary by ±25 % between identical engine runs). */
  bestEngineRtf: number;
  bestWorkerRtf: number;
  bestOverhead: number;
  sameText: boolean;
  /** ffmpeg's OGG → WAV conversion alone, median seconds. */
  convertSeconds: number;
}

/**
 * The offline engine through the whole platform vs the engine alone, on the same recording, in the same run.
 * Ours: a user sends the recording (goforward.raw `REPEATS` times with a second of silence between, as OGG/Opus) as a
 * voice message to the real bot, transcripts worker (`--queues=transcripts`) and notifications worker processes;
 * timed from the send to the transcript's arrival in the sandbox — ingress, queue, hold, download, ffmpeg,
 * pocketsphinx, encryption, store, capture, delivery. Baseline: `pocketsphinx_continuous` on the same audio already
 * converted to WAV, as our engine runs it. Runs alternate; the medians are compared.
 */
export async function benchTranscripts(): Promise<TranscriptBench> {
  const ogg = goForwardRepeated(REPEATS, 'ogg');
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-bench-transcripts-'));
  const input = path.join(dir, 'voice.ogg');
  writeFileSync(input, ogg);
  const wavPath = path.join(dir, 'audio.wav');
  const audioSeconds = await toWav('ffmpeg', { path: input, head: ogg }, wavPath, 3600);
  // Part of the worker's overhead, timed alone: ffmpeg decoding the OGG/Opus to 16 kHz WAV.
  const convertTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = process.hrtime.bigint();
    await toWav('ffmpeg', { path: input, head: ogg }, path.join(dir, 'again.wav'), 3600);
    convertTimes.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  const engine = new PocketsphinxEngine({ bin: 'pocketsphinx_continuous', modelDir: MODEL_DIR });
  const deployment = await startDeployment('transcripts', 7_500_000, [
    { script: 'src/bot/main.js' },
    { script: 'workers/main.js', args: ['--queues=transcripts'] },
    // Fresh users, and a burst that covers a run's messages: Telegram's per-chat pace is not what is measured here.
    { script: 'workers/main.js', args: ['--queues=all,-transcripts,-avatars'], env: { CHAT_BURST: '10' } },
  ]);
  const engineTimes: number[] = [];
  const workerTimes: number[] = [];
  let engineText = '';
  let workerText = '';
  try {
    const client = deployment.client;
    const once = async () => {
      const user = await client.createUser();
      await client.sendText(user.id, '/start');
      await client.waitForMessages(user.id, 1, 20_000);
      const before = (await client.messages(user.id)).length;
      const started = process.hrtime.bigint();
      await client.sendVoice(user.id, ogg, { duration: Math.round(audioSeconds) });
      for (;;) {
        const list = await client.waitForMessages(user.id, before + 1, 60_000);
        const transcript = list.find((m) => m.text?.startsWith('📝'));
        if (transcript) {
          workerTimes.push(Number(process.hrtime.bigint() - started) / 1e9);
          workerText = transcript.text!.split('\n\n').slice(1).join('\n\n');
          return;
        }
        await client.waitForMessages(user.id, list.length + 1, 60_000);
      }
    };
    await once(); // warm-up: the first job of a fresh process pays for its connections and the JIT
    workerTimes.length = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = process.hrtime.bigint();
      engineText = (await engine.transcribe({ wavPath, seconds: audioSeconds, language: 'en', signal: new AbortController().signal, workDir: dir })).text;
      engineTimes.push(Number(process.hrtime.bigint() - started) / 1e9);
      await once();
    }
  } finally {
    await deployment.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.BENCH_VERBOSE) console.error({ engineTimes, workerTimes });
  const engineRtf = median(engineTimes) / audioSeconds;
  const workerRtf = median(workerTimes) / audioSeconds;
  const bestEngineRtf = Math.min(...engineTimes) / audioSeconds;
  const bestWorkerRtf = Math.min(...workerTimes) / audioSeconds;
  return {
    audioSeconds, runs: RUNS, engineRtf, workerRtf, overhead: workerRtf / engineRtf - 1,
    bestEngineRtf, bestWorkerRtf, bestOverhead: bestWorkerRtf / bestEngineRtf - 1, sameText: engineText === workerText,
    convertSeconds: median(convertTimes),
  };
}
