import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runTool, ToolMissingError } from '../audio';
import { EngineSetupError, EngineUnavailableError, findExecutable, readable, type SpeechEngine, type TranscribeRequest, type Transcription } from './engine';

/**
 * A local whisper.cpp (`whisper-cli`, formerly `main`) and a ggml model file the operator provides: multilingual,
 * offline. Run as `whisper-cli -m <model> -f <wav> -l <lang> -nt -np -otxt -of <out>`; the text is read from `<out>.txt`.
 */
export class WhisperCppEngine implements SpeechEngine {
  readonly name = 'whisper-cpp' as const;

  constructor(private readonly opts: { bin: string; model: string }) {}

  async check(): Promise<void> {
    if (!(await findExecutable(this.opts.bin))) {
      throw new EngineSetupError(`whisper.cpp is missing (WHISPER_CPP_BIN=${this.opts.bin}). Build it from https://github.com/ggml-org/whisper.cpp and point WHISPER_CPP_BIN at its whisper-cli, or choose TRANSCRIPT_ENGINE=pocketsphinx.`);
    }
    if (!(await readable(this.opts.model))) {
      throw new EngineSetupError(`the whisper.cpp model file is missing (WHISPER_CPP_MODEL=${this.opts.model}); download a ggml model (e.g. ggml-base.bin) where the worker can read it.`);
    }
  }

  async transcribe(req: TranscribeRequest): Promise<Transcription> {
    const out = path.join(req.workDir, 'whisper');
    let r;
    try {
      r = await runTool(this.opts.bin, ['-m', this.opts.model, '-f', req.wavPath, '-l', req.language ?? 'auto', '-nt', '-np', '-otxt', '-of', out], { signal: req.signal });
    } catch (err) {
      if (err instanceof ToolMissingError) throw new EngineUnavailableError(err.message);
      throw err;
    }
    if (r.code !== 0) throw new EngineUnavailableError(`whisper.cpp exited with code ${r.code}: ${r.stderr.slice(-300)}`);
    const text = (await readFile(`${out}.txt`, 'utf8')).split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
    return { text, language: req.language };
  }
}
