import { exitOnStartupError, loadConfig } from '../src/config';
import { startWorkerProcess } from './worker-process';
import { createLogger } from '../src/lib/logger';
import { Lifecycle } from '../src/observability/lifecycle';
import { onShutdown } from '../src/lib/shutdown';
import { installCrashReporting } from '../src/observability/crash-reporter';
import { workerDefinitions } from './index';
import { CHILD_INDEX_ENV, READY_MESSAGE, superviseWorkers } from './supervisor';

/**
 * A worker process: runs the queues named in WORKER_QUEUES (default: all), or in its `--queues=` argument, which
 * takes precedence — the Procfile's `avatars` and `transcripts` processes run one queue each, its `worker` process
 * `--queues=all,-avatars,-transcripts`. With WORKER_PROCESSES (or `--processes=`) above 1 it supervises that many
 * worker processes running those queues instead (supervisor.ts).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = args.find((a) => a.startsWith('--queues='));
  if (arg) process.env.WORKER_QUEUES = arg.slice('--queues='.length);
  const processes = args.find((a) => a.startsWith('--processes='));
  if (processes) process.env.WORKER_PROCESSES = processes.slice('--processes='.length);
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, dir: config.LOG_DIR, retentionDays: config.LOG_RETENTION_DAYS, service: 'worker' });
  if (config.WORKER_PROCESSES > 1 && process.env[CHILD_INDEX_ENV] === undefined) {
    superviseWorkers(config.WORKER_PROCESSES, __filename, args.filter((a) => !a.startsWith('--processes=')), log, config.SHUTDOWN_TIMEOUT_MS + 10_000);
    return;
  }
  const proc = await startWorkerProcess(config, workerDefinitions, log);
  const lifecycle = new Lifecycle(proc.redis, config.QUEUE_PREFIX, proc.deps.enqueue, `worker [${config.WORKER_QUEUES.join(',')}]`, config, log);
  installCrashReporting(log, proc.deps.alerts, 'worker', lifecycle);
  onShutdown(
    log,
    async (signal) => {
      await lifecycle.stopped(signal);
      await proc.close();
    },
    config.SHUTDOWN_TIMEOUT_MS + 10_000,
  );
  await lifecycle.started();
  // Supervised: the supervisor gone (even killed outright) means stop, cleanly, rather than run on as an orphan.
  if (process.send) {
    process.send(READY_MESSAGE);
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
}

main().catch(exitOnStartupError);
