import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../src/lib/logger';

/** A crashed worker process is started again after this long, doubling to MAX_RESTART_MS while it keeps crashing. */
const FIRST_RESTART_MS = 1_000;
const MAX_RESTART_MS = 30_000;
/** A process that ran this long before crashing starts the doubling over. */
const STABLE_MS = 60_000;

/** What a supervised worker process sends once its workers run. */
export const READY_MESSAGE = 'switchyard:worker-ready';

/** Set in a supervised worker process: its index (0-based). */
export const CHILD_INDEX_ENV = 'SWITCHYARD_WORKER_INDEX';

/**
 * Runs `count` worker processes (this same script, WORKER_PROCESSES=1) and keeps them running: one that exits
 * unexpectedly after it started is forked again with a growing delay; one that exits before it started (a start-up
 * refusal) stops them all with its exit code. SIGTERM/SIGINT are passed on and waited for. Each child has an
 * IPC channel to this process: if the supervisor dies (even by SIGKILL), its children see the channel close and shut
 * down cleanly instead of running on as orphans.
 */
export function superviseWorkers(count: number, script: string, args: string[], log: Logger, hardLimitMs: number): void {
  const children = new Map<number, ChildProcess>();
  let stopping = false;
  let exitCode = 0;
  const start = (index: number, delayMs = FIRST_RESTART_MS) => {
    const startedAt = Date.now();
    const child = fork(script, args, { env: { ...process.env, WORKER_PROCESSES: '1', [CHILD_INDEX_ENV]: String(index) }, stdio: 'inherit' });
    children.set(index, child);
    let ready = false;
    child.on('message', (m) => {
      if (m === READY_MESSAGE) ready = true;
    });
    child.on('exit', (code, signal) => {
      children.delete(index);
      if (stopping) {
        if (children.size === 0) process.exit(exitCode);
        return;
      }
      if (!ready) {
        // It refused to start (configuration, a missing tool, an unreachable dependency at start-up): starting it
        // again would only repeat that. Stop the others and exit with its code, as a single process would.
        log.error('worker process did not start; stopping', { index, code, signal });
        exitCode = code ?? 1;
        stop('SIGTERM');
        return;
      }
      const next = Date.now() - startedAt >= STABLE_MS ? FIRST_RESTART_MS : Math.min(delayMs * 2, MAX_RESTART_MS);
      log.error('worker process exited; starting it again', { index, pid: child.pid, code, signal, restart_in_ms: delayMs });
      setTimeout(() => !stopping && start(index, next), delayMs).unref();
    });
  };
  for (let i = 0; i < count; i++) start(i);
  log.info('worker processes started', { processes: count, pids: [...children.values()].map((c) => c.pid) });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping worker processes', { signal, processes: children.size });
    if (children.size === 0) process.exit(exitCode);
    for (const child of children.values()) child.kill('SIGTERM');
    // A child stuck past its own bound: exit anyway (the children exit on their own bound too).
    setTimeout(() => process.exit(1), hardLimitMs + 5_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
