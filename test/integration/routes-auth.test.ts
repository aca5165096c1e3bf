import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appRoutes } from '@bull-board/api/dist/routes.js';
import { expect } from 'chai';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import { createBotRuntime, type BotRuntime } from '../../src/bot/bot-runtime';
import { QUEUE_NAMES } from '../../src/config';
import { createLogger } from '../../src/lib/logger';
import { deleteKeysWithPrefix } from '../../src/lib/redis';
import { AuditRepository } from '../../src/repositories/audit.repository';
import { startSandbox } from '../../src/sandbox/sandbox.server';
import { BOARD_PATH, createWebApp, WEBHOOK_PATH } from '../../src/web/app';
import { createKnex } from '../../src/db/knex';
import { TEST_DATABASE_URL, testConfig, testToken, uniquePrefix } from '../support/env';

const log = createLogger({ level: 'error', service: 'test', silent: true });
const operator = { user: `op-${uniquePrefix()}`, password: 'right horse battery staple', role: 'operator' as const };
const metricsAccount = { user: 'prometheus', password: 'scrape-secret-123' };
const SECRET = 'routes-hook-secret';
/** The two routes open to anyone, by design: liveness and readiness say "ok" or name the dependency that is down. */
const PUBLIC = new Set(['GET /healthz', 'GET /readyz']);

/** Every route of the web process: our own (read off Express's router) and every Bull Board route (its route table). */
function everyRoute(app: Express): { method: string; path: string }[] {
  const own: { method: string; path: string }[] = [];
  const stack = (app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router.stack;
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods)) own.push({ method: method.toUpperCase(), path: layer.route.path });
  }
  const fill = (p: string) =>
    p.replace(':queueName', 'billing').replace(':jobId', '1').replace(':queueStatus', 'failed').replace(':schedulerId', 'billing.sweep');
  const board = [
    ...[appRoutes.entryPoint.route].flat().map((p) => ({ method: 'GET', path: BOARD_PATH + fill(p) })),
    ...appRoutes.api.flatMap((r) => [r.route].flat().flatMap((p) => [r.method].flat().map((m) => ({ method: m.toUpperCase(), path: BOARD_PATH + fill(p) })))),
    { method: 'GET', path: `${BOARD_PATH}/static/js/main.js` },
  ];
  return [...own, ...board];
}

/** Every HTTP route without credentials and with wrong ones (issue #15): refused, and nothing changed. */
describe('every HTTP route refuses a caller without credentials or with wrong ones', function () {
  this.timeout(60_000);
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let runtime: BotRuntime;
  let knex: ReturnType<typeof createKnex>;
  let app: Express;
  let server: Server;
  let url: string;

  before(async () => {
    sandbox = await startSandbox();
    runtime = await createBotRuntime(testConfig({ BOT_TOKEN: testToken(), TELEGRAM_API_ROOT: sandbox.apiRoot }), log);
    knex = createKnex(TEST_DATABASE_URL, { max: 2 });
    app = createWebApp({
      log, redis: runtime.redis, knex, queues: runtime.queues, audit: new AuditRepository(knex), board: [operator],
      webhook: { ingress: runtime.ingress, secret: SECRET },
      metrics: { registry: new Registry(), ...metricsAccount },
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await deleteKeysWithPrefix(runtime.redis, runtime.queues.prefix);
    await runtime.close();
    await knex.destroy();
    await sandbox.close();
  });

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const call = (method: string, path: string, headers: Record<string, string>) =>
    fetch(url + path, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' });

  it('the route list covers the webhook, /metrics and Bull Board (so a new route cannot slip past this test)', () => {
    const routes = everyRoute(app).map((r) => `${r.method} ${r.path}`);
    expect(routes).to.include.members([`POST ${WEBHOOK_PATH}`, 'GET /metrics', 'GET /healthz', 'GET /readyz', `GET ${BOARD_PATH}/api/queues`, `PUT ${BOARD_PATH}/api/queues/billing/obliterate`]);
    expect(routes.length).to.be.above(40);
  });

  it('without credentials, with a wrong password, an unknown user or the wrong scheme: 401 everywhere but /healthz and /readyz; nothing changes', async () => {
    const billing = runtime.queues.get('billing');
    const job = await billing.add('billing.sweep', {}, { delay: 3_600_000 });
    const wrong: Record<string, Record<string, string>> = {
      none: {},
      'wrong password': { authorization: basic(operator.user, 'wrong'), 'X-Telegram-Bot-Api-Secret-Token': 'wrong' },
      'unknown user': { authorization: basic('mallory', operator.password), 'X-Telegram-Bot-Api-Secret-Token': `${SECRET}x` },
      'wrong scheme': { authorization: `Bearer ${operator.password}`, 'X-Telegram-Bot-Api-Secret-Token': '' },
      // The metrics account is not a Bull Board account, and the reverse.
      'other account': { authorization: basic(metricsAccount.user, metricsAccount.password) },
    };
    const problems: string[] = [];
    for (const { method, path } of everyRoute(app)) {
      const key = `${method} ${path}`;
      for (const [what, headers] of Object.entries(wrong)) {
        if (what === 'other account' && path === '/metrics') continue;
        const res = await call(method, path, headers);
        const body = await res.text();
        if (PUBLIC.has(key)) {
          if (res.status >= 400 && res.status !== 503) problems.push(`${key} (${what}): ${res.status}`);
          if (/password|secret|token/i.test(body)) problems.push(`${key} tells more than its status: ${body.slice(0, 100)}`);
        } else if (res.status !== 401) {
          problems.push(`${key} (${what}): ${res.status}`);
        }
      }
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
    // Every mutating Bull Board route was called (obliterate, empty, pause, clean, remove…): nothing happened.
    expect(await billing.getJob(job.id!), 'the job is still there').to.not.equal(undefined);
    expect(await billing.isPaused()).to.equal(false);
    for (const name of QUEUE_NAMES) expect(await runtime.queues.get(name).isPaused(), name).to.equal(false);
  });

  it('with the right credentials the same routes open: the board to its operator, /metrics to its scraper, the webhook to its secret', async () => {
    expect((await call('GET', `${BOARD_PATH}/api/queues`, { authorization: basic(operator.user, operator.password) })).status).to.equal(200);
    expect((await call('GET', '/metrics', { authorization: basic(metricsAccount.user, metricsAccount.password) })).status).to.equal(200);
    expect((await call('POST', WEBHOOK_PATH, { 'X-Telegram-Bot-Api-Secret-Token': SECRET })).status).to.equal(400);
  });
});
