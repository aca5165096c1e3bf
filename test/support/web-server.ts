import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebApp, type WebAppDeps } from '../../src/web/app';
import { createLogger } from '../../src/lib/logger';
import { AuditRepository } from '../../src/repositories/audit.repository';

export interface RunningWeb {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The web app on a free loopback port; `log` and `audit` default to a silent logger and the real repository. */
export async function startWeb(deps: Omit<WebAppDeps, 'log' | 'audit'> & Partial<Pick<WebAppDeps, 'log' | 'audit'>>): Promise<RunningWeb> {
  const app = createWebApp({
    log: createLogger({ level: 'error', service: 'test', silent: true }),
    audit: new AuditRepository(deps.knex),
    ...deps,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
