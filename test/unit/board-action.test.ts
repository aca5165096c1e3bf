import { expect } from 'chai';
import { sourceAllowed } from '../../src/web/app';
import { boardAction } from '../../src/web/board';

describe('Bull Board actions in the audit trail', () => {
  const cases: [string, string, string, string | null][] = [
    ['PUT', '/api/queues/billing/42/retry', 'board.retry', 'queue:billing/job:42'],
    ['PUT', '/api/queues/billing/42/retry/failed', 'board.retry', 'queue:billing/job:42'],
    ['PUT', '/api/queues/billing/42/promote', 'board.promote', 'queue:billing/job:42'],
    ['PUT', '/api/queues/notifications/retry/failed', 'board.retry-all', 'queue:notifications/status:failed'],
    ['PUT', '/api/queues/notifications/clean/completed', 'board.clean-all', 'queue:notifications/status:completed'],
    ['PUT', '/api/queues/billing/pause', 'board.pause', 'queue:billing'],
    ['POST', '/api/queues/billing/add', 'board.add', 'queue:billing'],
    ['DELETE', '/api/queues/billing/42', 'board.remove', 'queue:billing/job:42'],
    ['PUT', '/api/queues/pause', 'board.pause-all', null],
  ];
  for (const [method, path, action, subject] of cases) {
    it(`${method} ${path} → ${action}`, () => {
      expect(boardAction(method, path)).to.deep.equal({ action, subject });
    });
  }
});

describe('who may scrape /metrics without credentials', () => {
  it('loopback always; private networks only when allowed; never the internet', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1'].map((a) => sourceAllowed(a, 'loopback'))).to.deep.equal([true, true, true]);
    expect(['172.18.0.5', '10.1.2.3', '192.168.1.9', 'fd00::1'].map((a) => sourceAllowed(a, 'loopback'))).to.deep.equal([false, false, false, false]);
    expect(['172.18.0.5', '10.1.2.3', '192.168.1.9', 'fd00::1'].map((a) => sourceAllowed(a, 'private'))).to.deep.equal([true, true, true, true]);
    expect(['8.8.8.8', '172.32.0.1', '2001:db8::1'].map((a) => sourceAllowed(a, 'private'))).to.deep.equal([false, false, false]);
  });
});
