import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import multer from 'multer';
import { apiErrorHandler, botApiRouter, fastBotCall, sendApiError } from './bot-api.routes';
import { controlRouter } from './control.routes';
import { Sandbox, type SandboxOptions } from './sandbox.state';
import { ApiError } from './sandbox.util';
import { webChatPage } from './web-chat.page';

export interface StartSandboxOptions extends SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
}

export interface RunningSandbox {
  url: string;
  /** Same as url; pass as telegraf's `telegram.apiRoot`. */
  apiRoot: string;
  close(): Promise<void>;
}

// Telegram accepts uploads up to 50 MB from bots; downloads (getFile) are limited separately.
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export function createSandboxApp(sandbox: Sandbox): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '60mb' }));
  app.use(express.urlencoded({ extended: false, limit: '60mb' }));
  // Browsers, telegraf and undici send a file name with non-ASCII letters as raw UTF-8 in the part header; busboy's
  // default (latin1) would turn "отчёт.csv" into mojibake.
  app.use(multer({ storage: multer.memoryStorage(), defParamCharset: 'utf8', limits: { fileSize: MAX_UPLOAD_BYTES, fieldSize: 10 * 1024 * 1024 } }).any());
  app.get('/', (_req, res) => {
    res.type('html').send(webChatPage());
  });
  // What the web chat needs to know about this sandbox (not per bot): the admin id it may offer.
  app.get('/sandbox/config', (_req, res) => {
    res.json({ ok: true, result: { admin_id: sandbox.adminId ?? null } });
  });
  app.use('/sandbox/:token', controlRouter(sandbox));
  app.use(botApiRouter(sandbox));
  app.use((_req, res) => sendApiError(res, new ApiError(404, 'Not Found')));
  app.use(apiErrorHandler);
  return app;
}

/** Starts a Bot-API-compatible fake Telegram on loopback. */
export async function startSandbox(opts: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const sandbox = new Sandbox(opts);
  const app = createSandboxApp(sandbox);
  // JSON Bot API calls skip Express (fastBotCall); everything else goes through it.
  const server = http.createServer((req, res) => {
    if (!fastBotCall(sandbox, req, res)) app(req, res);
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    apiRoot: url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Ends long polls, payment waits and webhook retries first, then every socket,
        // so nothing keeps the event loop (and a mocha run) alive.
        sandbox.close();
        server.close(() => resolve());
        setImmediate(() => server.closeAllConnections());
      });
      return closing;
    },
  };
}
