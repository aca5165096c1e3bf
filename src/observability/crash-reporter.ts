import type { Logger } from '../lib/logger';
import { redact } from '../lib/logger';
import type { AdminAlerts } from './admin-alerts';
import type { Lifecycle } from './lifecycle';

/** What a process does with an error nobody caught: log it and tell the admins (throttled like any alert). */
export function crashHandler(log: Logger, alerts: AdminAlerts, service: string): (err: unknown) => Promise<void> {
  return async (err) => {
    const message = redact(err instanceof Error ? err.message : String(err));
    log.error('unhandled error', { error: message, stack: err instanceof Error ? err.stack && redact(err.stack) : undefined });
    // Bounded: a process that is failing must not hang on the report.
    await Promise.race([alerts.report(`process/${service}`, `unhandled error: ${message}`), new Promise((r) => setTimeout(r, 2_000).unref())]).catch(() => undefined);
  };
}

/**
 * Installs the handler for unhandled promise rejections (the process goes on) and uncaught exceptions (the state
 * is unknown: report, then exit so the supervisor restarts it).
 */
export function installCrashReporting(log: Logger, alerts: AdminAlerts, service: string, lifecycle?: Lifecycle): void {
  const handle = crashHandler(log, alerts, service);
  process.on('unhandledRejection', (reason) => void handle(reason));
  process.on('uncaughtException', (err) => {
    void Promise.all([handle(err), lifecycle?.crashed(err)]).finally(() => process.exit(1));
  });
}
