import { expect } from 'chai';
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
