import { timingSafeEqual } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import type { RedisClient } from '../lib/redis';
import type { Knex } from 'knex';
import type { Update } from 'telegraf/types';
import type { Ingress } from '../bot/ingress';
import type { QueueRegistry } from '../jobs/queues';
import type { Logger } from '../lib/logger';
import type { AuditRepository } from '../repositories/audit.repository';
import type { Registry } from 'prom-client';
import { checkBasicAuth } from './basic-auth';
import { checkDependencies } from '../observability/health';
import { mountBoard, type BoardAccount } from './board';
import { mountCriticalLogPage } from './critical-log.page';
import { CriticalLog } from '../observability/critical-log';

export { BOARD_PATH } from './board';

export const WEBHOOK_PATH = '/telegram/webhook';

export interface WebAppDeps {
  log: Logger;
  redis: RedisClient;
  knex: Knex;
  queues: QueueRegistry;
  audit: AuditRepository;
  /** Bull Board accounts: operators may change queues, viewers only look. */
  board: BoardAccount[];
  /** Present in webhook mode: the same ingress the bot process runs. */
  webhook?: { ingress: Ingress; secret: string };
  /** `/metrics`: the registry and who may read it (basic auth when set; otherwise by source network). */
  metrics?: { registry: Registry; user?: string; password?: string; allow?: 'loopback' | 'private' };
  /** Features this deployment runs without (FEATURES_OFF), listed by /readyz; they do not make it unready. */
  featuresOff?: readonly string[];
  /** How long a readiness probe waits for each dependency. */
  readyTimeoutMs?: number;
}

function secretMatches(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The network rule for an unauthenticated scrape: loopback only, or also private networks (a compose network). */
export function sourceAllowed(address: string | undefined, allow: 'loopback' | 'private'): boolean {
  const a = (address ?? '').replace(/^::ffff:/, '');
  if (a === '127.0.0.1' || a === '::1' || a.startsWith('127.')) return true;
  if (allow !== 'private') return false;
  return /^10\./.test(a) || /^192\.168\./.test(a) || /^172\.(1[6-9]|2\d|3[01])\./.test(a) || /^f[cd]/i.test(a);
}

/** The web process: Bull Board (authenticated), health and readiness, and the webhook in webhook mode. */
export function createWebApp(deps: WebAppDeps): Express {
  const { log, redis, knex, queues } = deps;
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const status = await checkDependencies(redis, knex, deps.readyTimeoutMs ?? 1_000);
    const ready = status.redis === 'ok' && status.postgres === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', ...status, off: deps.featuresOff ?? [] });
  });

  if (deps.metrics) {
    const { registry, user, password, allow = 'loopback' } = deps.metrics;
    app.get('/metrics', async (req, res) => {
      const allowed = user && password ? checkBasicAuth(req.headers.authorization, user, password) : sourceAllowed(req.socket.remoteAddress, allow);
      if (!allowed) {
        if (user) res.setHeader('WWW-Authenticate', 'Basic realm="Switchyard metrics"');
        res.status(user ? 401 : 403).send(user ? 'Authentication required' : `Metrics are served to ${allow} addresses only; set METRICS_USER/METRICS_PASSWORD`);
        return;
      }
      res.setHeader('Content-Type', registry.contentType);
      res.send(await registry.metrics());
    });
  }

  if (deps.webhook) {
    const { ingress, secret } = deps.webhook;
    // A body that is not JSON (or too large) is refused here: 400 (413), logged without the body, which may hold
    // what a user wrote; Express's default handler would print it with a stack trace.
    const json = express.json({ limit: '1mb' });
    const parse: RequestHandler = (req, res, next) =>
      json(req, res, (err?: unknown) => {
        if (!err) return next();
        const status = (err as { status?: number }).status === 413 ? 413 : 400;
        log.warn('webhook call refused: body is not a JSON update', { status, reason: (err as { type?: string }).type ?? 'unreadable' });
        res.status(status).json({ ok: false, description: status === 413 ? 'body too large' : 'not JSON' });
      });
    // The secret first: a caller without it gets its 401 before its body is even read.
    const authenticate: RequestHandler = (req, res, next) => {
      if (secretMatches(req.get('X-Telegram-Bot-Api-Secret-Token'), secret)) return next();
      log.warn('webhook call refused: wrong or missing secret token', { ip: req.ip });
      res.status(401).json({ ok: false, description: 'wrong secret token' });
    };
    app.post(WEBHOOK_PATH, authenticate, parse, async (req, res) => {
      const update = req.body as Update;
      if (typeof update?.update_id !== 'number') {
        res.status(400).json({ ok: false, description: 'not an update' });
        return;
      }
      try {
        const outcome = await ingress.handleUpdate(update);
        res.json({ ok: true, outcome });
      } catch (err) {
        // A 5xx makes Telegram deliver the update again later; the ingress forgot it, so nothing is lost.
        log.error('webhook update failed', { update_id: update.update_id, error: err instanceof Error ? err.message : String(err) });
        res.status(500).json({ ok: false });
      }
    });
  }

  mountBoard(app, { queues, accounts: deps.board, audit: deps.audit, log });
  mountCriticalLogPage(app, { accounts: deps.board, log, criticalLog: new CriticalLog(redis, queues.prefix) });

  return app;
}
