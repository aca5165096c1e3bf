import { exitOnStartupError, loadConfig } from '../src/config';
import { startWorkerProcess } from '../src/jobs/worker-process';
import { createLogger } from '../src/lib/logger';
import { onShutdown } from '../src/lib/shutdown';
import { installCrashReporting } from '../src/observability/crash-reporter';
import { workerDefinitions } from './index';

/**
 * A worker process: runs the queues named in WORKER_QUEUES (default: all), or in its `--queues=` argument, which
 * takes precedence — the Procfile's `avatars` and `transcripts` processes run one queue each, its `worker` process
 * `--queues=all,-avatars,-transcripts`.
 */
async function main(): Promise<void> {
  const arg = process.argv.slice(2).find((a) => a.startsWith('--queues='));
  if (arg) process.env.WORKER_QUEUES = arg.slice('--queues='.length);
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, dir: config.LOG_DIR, service: 'worker' });
  const proc = await startWorkerProcess(config, workerDefinitions, log);
  installCrashReporting(log, proc.deps.alerts, 'worker');
  onShutdown(log, () => proc.close(), config.SHUTDOWN_TIMEOUT_MS + 10_000);
}

main().catch(exitOnStartupError);
