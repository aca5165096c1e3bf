import { findExecutable, readable } from '../../lib/run-tool';
import { UnrecoverableError } from 'bullmq';

export interface TranscribeRequest {
  /** 16 kHz mono 16-bit WAV (src/adapters/audio.ts). */
  wavPath: string;
  seconds: number;
  /** The user's language (ISO 639-1), passed to engines that take one. */
  language?: string;
  /** The job's time bound and the worker's shutdown. */
  signal: AbortSignal;
  /** A scratch folder that is removed after the job. */
  workDir: string;
}

export interface Transcription {
  text: string;
  /** The language the engine used or detected, when it says. */
  language?: string;
}

/** One speech-to-text engine (docs/TRANSCRIPTS.md): chosen by TRANSCRIPT_ENGINE. */
export interface SpeechEngine {
  readonly name: 'pocketsphinx' | 'openai' | 'whisper-cpp';
  /** Start-up: throws EngineSetupError saying what is missing and how to install or configure it. */
  check(): Promise<void>;
  transcribe(req: TranscribeRequest): Promise<Transcription>;
}

/** The engine cannot run here (binary or model missing, bad settings): told at start-up, in one message. */
export { findExecutable, readable };

export class EngineSetupError extends Error {
  override readonly name = 'EngineSetupError';
}

/** The engine is down, busy or timed out: transient, the job is retried with backoff. */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
}

/** The engine refused this request for good (bad key, unknown model, rejected audio): retrying cannot help. */
export class EngineRejectedError extends UnrecoverableError {
  override readonly name = 'EngineRejectedError';
}


/** ffmpeg converts every input; checked at start-up like the engine. */
export async function checkFfmpeg(bin: string): Promise<void> {
  if (!(await findExecutable(bin))) {
    throw new EngineSetupError(`ffmpeg is missing (FFMPEG_BIN=${bin}): transcripts convert audio with it. Install it with:\n  apt-get update && apt-get install -y ffmpeg`);
  }
}
