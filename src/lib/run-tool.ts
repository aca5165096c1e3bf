import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

/** A tool this process runs (ffmpeg, a speech engine, pg_dump…) is not there or not executable. */
export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
}

/** A tool was stopped by its time bound or the worker's shutdown. */
export class ToolTimeoutError extends Error {
  override readonly name = 'ToolTimeoutError';
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool and collects its output: stdout whole (it is the result: an engine's text), or an error past
 * `maxStdout` bytes; the last 64 KB of stderr (diagnostics). `signal` stops it with SIGKILL: the job's time bound,
 * or the worker shutting down. A tool that is not there is a ToolMissingError.
 */
export function runTool(bin: string, args: string[], opts: { signal?: AbortSignal; cwd?: string; maxStdout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const maxStdout = opts.maxStdout ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > maxStdout) child.kill('SIGKILL');
      else out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-65_536)));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') reject(new ToolMissingError(`${bin} is not installed or not executable (${err.code})`));
      else if (err.name === 'AbortError') reject(new ToolTimeoutError(`${bin} was stopped: ${String(opts.signal?.reason?.message ?? opts.signal?.reason ?? 'aborted')}`));
      else reject(err);
    });
    child.once('close', (code) => {
      if (opts.signal?.aborted) reject(new ToolTimeoutError(`${bin} was stopped: ${String(opts.signal.reason?.message ?? opts.signal.reason)}`));
      else if (outBytes > maxStdout) reject(new Error(`${bin} printed more than ${maxStdout} bytes`));
      else resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

const can = (file: string, mode: number): Promise<boolean> => access(file, mode).then(() => true, () => false);

/** Where `bin` runs from: itself if it is a path, else the first match on PATH. */
export async function findExecutable(bin: string): Promise<string | undefined> {
  const candidates = bin.includes('/') ? [bin] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, bin));
  for (const c of candidates) if (await can(c, constants.X_OK)) return c;
  return undefined;
}

export const readable = (file: string): Promise<boolean> => can(file, constants.R_OK);
