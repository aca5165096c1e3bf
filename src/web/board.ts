import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../lib/logger';
import type { AuditRepository } from '../repositories/audit.repository';
import type { QueueRegistry } from '../jobs/queues';
import { checkBasicAuth } from './basic-auth';

export const BOARD_PATH = '/admin/queues';

export type BoardRole = 'operator' | 'viewer';
export interface BoardAccount {
  user: string;
  password: string;
  role: BoardRole;
}

export interface BoardAction {
  action: string;
  subject: string | null;
}

/**
 * What a Bull Board API write means for the audit trail, from its path: `POST /api/queues/billing/42/retry` →
 * `board.retry` on `queue:billing/job:42`. Bull Board's write routes all end in a verb, except job removal (DELETE).
 */
export function boardAction(method: string, path: string): BoardAction {
  const parts = path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  // parts: api, queues, <queue>, ...rest
  if (parts[0] !== 'api' || parts[1] !== 'queues' || parts.length < 3) return { action: `board.${parts.at(-1) ?? 'request'}`, subject: null };
  const [, , queue, ...rest] = parts;
  if (queue === 'pause' || queue === 'resume') return { action: `board.${queue}-all`, subject: null };
  if (method === 'DELETE' && rest.length === 1) return { action: 'board.remove', subject: `queue:${queue}/job:${rest[0]}` };
  const queueVerbs = ['add', 'promote', 'pause', 'resume', 'empty', 'obliterate', 'concurrency', 'rate-limit'];
  if (rest.length === 1 && queueVerbs.includes(rest[0]!)) return { action: `board.${rest[0]}`, subject: `queue:${queue}` };
  if ((rest[0] === 'retry' || rest[0] === 'clean') && rest.length === 2) {
    return { action: `board.${rest[0]}-all`, subject: `queue:${queue}/status:${rest[1]}` };
  }
  // Job routes: /<job id>/<verb>[/<status the page was showing>]
  if (rest.length >= 2) return { action: `board.${rest[1]}`, subject: `queue:${queue}/job:${rest[0]}` };
  return { action: `board.${method.toLowerCase()}`, subject: `queue:${queue}` };
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The board's login (HTTP basic auth, constant-time compare), shared by every operator page: sets
 * `res.locals.boardAccount`. A wrong login is a security event in the critical log.
 */
export function boardLogin(accounts: BoardAccount[], log: Logger): RequestHandler {
  return (req, res, next) => {
    const account = accounts.find((a) => checkBasicAuth(req.headers.authorization, a.user, a.password));
    if (!account) {
      // A browser's first request carries no credentials: only a wrong login is an event.
      if (req.headers.authorization) log.warn('Bull Board login refused', { security: 'board.login_refused', path: req.originalUrl.split('?')[0] });
      res.setHeader('WWW-Authenticate', 'Basic realm="Switchyard Bull Board", charset="UTF-8"');
      res.status(401).send('Authentication required');
      return;
    }
    res.locals.boardAccount = account;
    next();
  };
}

/**
 * Bull Board behind basic auth with two roles. Operators get the full board and every change they make is written
 * to `audit_events` with their name; viewers get a read-only board, and their write requests are refused here,
 * on the server, whatever the page shows.
 */
export function mountBoard(app: Express, deps: { queues: QueueRegistry; accounts: BoardAccount[]; audit: AuditRepository; log: Logger }): void {
  const { queues, accounts, audit, log } = deps;
  const board = (readOnlyMode: boolean) => {
    const serverAdapter = new ExpressAdapter().setBasePath(BOARD_PATH);
    createBullBoard({
      queues: queues.all().map((q) => new BullMQAdapter(q, { readOnlyMode })),
      serverAdapter,
      options: { uiConfig: { boardTitle: readOnlyMode ? 'Switchyard (read-only)' : 'Switchyard' } },
    });
    return serverAdapter.getRouter() as RequestHandler;
  };
  const routers: Record<BoardRole, RequestHandler> = { operator: board(false), viewer: board(true) };

  const authenticate = boardLogin(accounts, log);

  const guardAndAudit = async (req: Request, res: Response, next: () => void) => {
    const account = res.locals.boardAccount as BoardAccount;
    if (READS.has(req.method)) return next();
    const { action, subject } = boardAction(req.method, req.path);
    const actor = `${account.role}:${account.user}`;
    if (account.role !== 'operator') {
      log.warn('board write refused: read-only account', { actor, action, subject, security: 'board.write_refused' });
      // Recorded before answering: whoever reads the trail after the 403 finds the attempt.
      await audit
        .record({ actor, action: 'board.refused', subject, details: { attempted: action, method: req.method, path: req.path } })
        .catch((err: Error) => log.error('could not audit a refused board action', { actor, error: err.message }));
      res.status(403).json({ error: 'Forbidden: this account is read-only' });
      return;
    }
    res.on('finish', () => {
      if (res.statusCode >= 400) return;
      audit.record({ actor, action, subject, details: { method: req.method, path: req.path, status: res.statusCode } }).catch((err: Error) =>
        log.error('could not audit a board action', { actor, action, error: err.message }),
      );
      log.info('board action', { actor, action, subject });
    });
    next();
  };

  app.use(BOARD_PATH, authenticate, guardAndAudit, (req, res, next) => routers[(res.locals.boardAccount as BoardAccount).role](req, res, next));
}
