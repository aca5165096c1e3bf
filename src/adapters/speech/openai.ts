import { readFile } from 'node:fs/promises';
import { redact } from '../../lib/logger';
import { EngineRejectedError, EngineSetupError, EngineUnavailableError, type SpeechEngine, type TranscribeRequest, type Transcription } from './engine';

export interface OpenAiEngineOptions {
  /** Base URL ending in /v1 (OpenAI, Groq, faster-whisper-server, whisper.cpp's server…). */
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
}

/** What an error response says, for the log (never the audio, never the key — servers echo a wrong one). */
async function describe(res: Response, apiKey: string | undefined): Promise<string> {
  const body = await res.text().catch(() => '');
  let message = body.slice(0, 300);
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; detail?: string };
    message = (typeof parsed.error === 'string' ? parsed.error : parsed.error?.message) ?? parsed.detail ?? message;
  } catch {
    // not JSON: the start of the body
  }
  const said = apiKey ? message.split(apiKey).join('***') : message;
  return redact(`HTTP ${res.status}: ${said}`.slice(0, 400));
}

/**
 * Any OpenAI-compatible speech-to-text server: `POST <base>/audio/transcriptions`, multipart with `file` (our
 * WAV), `model`, `response_format=json` and the user's `language`; the answer is `{"text": "…"}`.
 * Down, overloaded (429, 5xx), timing out or answering nonsense: EngineUnavailableError (retried with backoff).
 * Refusing the request itself (other 4xx: a bad key, an unknown model): EngineRejectedError (not retried).
 */
export class OpenAiEngine implements SpeechEngine {
  readonly name = 'openai' as const;

  constructor(private readonly opts: OpenAiEngineOptions) {}

  async check(): Promise<void> {
    if (!this.opts.apiKey && /(^|\.)openai\.com$/.test(new URL(this.opts.baseUrl).hostname)) {
      throw new EngineSetupError('TRANSCRIPT_ENGINE=openai with OpenAI itself needs TRANSCRIPT_API_KEY (a key from platform.openai.com).');
    }
  }

  async transcribe(req: TranscribeRequest): Promise<Transcription> {
    const form = new FormData();
    form.append('file', new Blob([await readFile(req.wavPath)], { type: 'audio/wav' }), 'audio.wav');
    form.append('model', this.opts.model);
    form.append('response_format', 'json');
    if (req.language) form.append('language', req.language);
    const url = `${this.opts.baseUrl.replace(/\/+$/, '')}/audio/transcriptions`;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        body: form,
        headers: this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {},
        signal: AbortSignal.any([req.signal, timeout]),
      });
    } catch (err) {
      if (req.signal.aborted) throw err;
      if (timeout.aborted) throw new EngineUnavailableError(`the transcription server did not answer within ${this.opts.timeoutMs} ms`);
      throw new EngineUnavailableError(`the transcription server is unreachable: ${(err as Error).cause ? String(((err as Error).cause as Error).message) : (err as Error).message}`);
    }
    if (!res.ok) {
      const what = await describe(res, this.opts.apiKey);
      if (res.status === 408 || res.status === 429 || res.status >= 500) throw new EngineUnavailableError(`the transcription server is unavailable: ${what}`);
      throw new EngineRejectedError(`the transcription server refused the request: ${what}`);
    }
    let body: { text?: unknown; language?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch (err) {
      if (timeout.aborted) throw new EngineUnavailableError(`the transcription server did not answer within ${this.opts.timeoutMs} ms`);
      throw new EngineUnavailableError('the transcription server answered with something that is not JSON');
    }
    if (typeof body?.text !== 'string') throw new EngineUnavailableError('the transcription server answered without a "text" field');
    return { text: body.text.trim(), language: typeof body.language === 'string' ? body.language : req.language };
  }
}
