import path from 'node:path';
import { runTool, ToolMissingError } from '../audio';
import { EngineSetupError, EngineUnavailableError, findExecutable, readable, type SpeechEngine, type TranscribeRequest, type Transcription } from './engine';

const INSTALL = 'apt-get update && apt-get install -y pocketsphinx pocketsphinx-en-us';

/** The model folder as Debian's pocketsphinx-en-us lays it out. */
export function pocketsphinxModel(dir: string) {
  return { hmm: path.join(dir, 'en-us'), lm: path.join(dir, 'en-us.lm.bin'), dict: path.join(dir, 'cmudict-en-us.dict') };
}

/**
 * CMU pocketsphinx (Debian's `pocketsphinx` + `pocketsphinx-en-us`): offline, English only, about 0.3× real time
 * on one core here. It prints one line per utterance.
 */
export class PocketsphinxEngine implements SpeechEngine {
  readonly name = 'pocketsphinx' as const;

  constructor(private readonly opts: { bin: string; modelDir: string }) {}

  async check(): Promise<void> {
    if (!(await findExecutable(this.opts.bin))) {
      throw new EngineSetupError(`pocketsphinx is missing (POCKETSPHINX_BIN=${this.opts.bin}), the offline transcript engine. Install it with:\n  ${INSTALL}\n  or choose another TRANSCRIPT_ENGINE (openai, whisper-cpp).`);
    }
    const model = pocketsphinxModel(this.opts.modelDir);
    const missing = [];
    for (const f of [path.join(model.hmm, 'mdef'), model.lm, model.dict]) if (!(await readable(f))) missing.push(f);
    if (missing.length) {
      throw new EngineSetupError(`the pocketsphinx English model is missing (POCKETSPHINX_MODEL_DIR=${this.opts.modelDir}; not found: ${missing.join(', ')}). Install it with:\n  ${INSTALL}`);
    }
  }

  async transcribe(req: TranscribeRequest): Promise<Transcription> {
    const model = pocketsphinxModel(this.opts.modelDir);
    let r;
    try {
      r = await runTool(this.opts.bin, ['-infile', req.wavPath, '-hmm', model.hmm, '-lm', model.lm, '-dict', model.dict, '-logfn', '/dev/null'], { signal: req.signal });
    } catch (err) {
      if (err instanceof ToolMissingError) throw new EngineUnavailableError(err.message);
      throw err;
    }
    if (r.code !== 0) throw new EngineUnavailableError(`pocketsphinx exited with code ${r.code}: ${r.stderr.slice(-300)}`);
    const text = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
    return { text, language: 'en' };
  }
}
