import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkTranscriptTools, createSpeechEngine } from '../src/adapters/speech';
import { defineWorker } from '../src/jobs/handler.types';
import { transcriptHandlers, WORK_DIR_PREFIX } from '../src/domain/transcripts/transcript.handlers';

/**
 * transcripts: ffmpeg and a speech engine, CPU-bound (pocketsphinx) or waiting on a server (openai); its own
 * process in the Procfile, scaled by adding processes. Retries of an engine that is down wait
 * TRANSCRIPT_RETRY_SECONDS, then twice as long each time.
 */
export const transcriptsWorker = defineWorker({
  queue: 'transcripts',
  concurrency: (config) => config.CONCURRENCY_TRANSCRIPTS,
  backoff: (config, attemptsMade) => Math.round(config.TRANSCRIPT_RETRY_SECONDS * 1000 * 2 ** Math.max(0, attemptsMade - 1)),
  async start(deps) {
    const { config, log, transcripts, enqueue } = deps;
    // Refuse to start without ffmpeg or the engine: a clear message now beats every job failing later.
    await checkTranscriptTools(config);
    // Scratch folders a killed worker left (each try removes its own): older than a try may last, they are orphans.
    const root = tmpdir();
    const cutoff = Date.now() - 2 * config.TRANSCRIPT_TIMEOUT_SECONDS * 1000;
    for (const name of (await readdir(root)).filter((n) => n.startsWith(WORK_DIR_PREFIX))) {
      const dir = path.join(root, name);
      const modified = (await stat(dir).catch(() => undefined))?.mtimeMs;
      if (modified !== undefined && modified < cutoff) await rm(dir, { recursive: true, force: true });
    }
    // After a key rotation: re-seal what older keys sealed, once per current key (the job id dedupes replicas).
    const unreadable = await transcripts.unreadableByKey();
    if (Object.keys(unreadable).length) log.warn('transcripts sealed with keys not in ENCRYPTION_KEY: add those keys back to read them', { unreadable });
    const stale = await transcripts.countStale();
    if (stale > 0) {
      const keyId = transcripts.currentKeyId;
      await enqueue('transcripts.reencrypt', { batch: 500 }, { jobId: `reencrypt-${keyId}` });
      log.info('transcripts sealed with an older key: re-encryption queued', { stale, key_id: keyId });
    }
  },
  handlers: (deps) => transcriptHandlers(deps, () => createSpeechEngine(deps.config)),
});
