import type { Config } from '../../config';
import { checkFfmpeg, type SpeechEngine } from './engine';
import { OpenAiEngine } from './openai';
import { PocketsphinxEngine } from './pocketsphinx';
import { WhisperCppEngine } from './whisper-cpp';

export * from './engine';

/** The engine TRANSCRIPT_ENGINE names, with its settings. */
export function createSpeechEngine(config: Config): SpeechEngine {
  switch (config.TRANSCRIPT_ENGINE) {
    case 'openai':
      return new OpenAiEngine({
        baseUrl: config.TRANSCRIPT_API_URL, apiKey: config.TRANSCRIPT_API_KEY, model: config.TRANSCRIPT_API_MODEL, timeoutMs: config.TRANSCRIPT_API_TIMEOUT_SECONDS * 1000,
      });
    case 'whisper-cpp':
      return new WhisperCppEngine({ bin: config.WHISPER_CPP_BIN, model: config.WHISPER_CPP_MODEL! });
    case 'pocketsphinx':
      return new PocketsphinxEngine({ bin: config.POCKETSPHINX_BIN, modelDir: config.POCKETSPHINX_MODEL_DIR });
  }
}

/** What the transcripts worker needs to start: ffmpeg and the chosen engine. Throws EngineSetupError. */
export async function checkTranscriptTools(config: Config, engine: SpeechEngine = createSpeechEngine(config)): Promise<void> {
  await checkFfmpeg(config.FFMPEG_BIN);
  await engine.check();
}
