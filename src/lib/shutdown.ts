import type { Logger } from './logger';

/**
 * Runs `stop` once on SIGTERM/SIGINT, then exits. A second signal (a second later), or `stop` overrunning `hardLimitMs`,
 * exits at once so a stuck close never holds a deploy.
 */
export function onShutdown(log: Logger, stop: (signal: NodeJS.Signals) => Promise<void>, hardLimitMs: number): void {
  let stoppingSince = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (stoppingSince) {
      // The same Ctrl-C reaches a process twice (terminal group + launcher): only a later one means "now".
      if (Date.now() - stoppingSince < 1_000) return;
      log.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    stoppingSince = Date.now();
    log.info('shutting down', { signal });
    const timer = setTimeout(() => {
      log.error('shutdown overran its bound; exiting', { ms: hardLimitMs });
      process.exit(1);
    }, hardLimitMs);
    timer.unref();
    stop(signal).then(
      () => {
        log.info('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        log.error('error while stopping', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
