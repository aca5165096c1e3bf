import { Writable } from 'node:stream';
import { expect } from 'chai';
import winston from 'winston';
import { createLogger, redact, traced } from '../../src/lib/logger';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level, service: 'test' });
  log.clear();
  log.add(new winston.transports.Stream({ stream: new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }) }));
  return { log, lines };
}

describe('logging', () => {
  it('masks bot tokens wherever they appear (Telegram puts them in every URL)', () => {
    expect(redact(`request to https://api.telegram.org/bot${TOKEN}/getUpdates failed`)).to.equal(
      'request to https://api.telegram.org/bot<redacted-token>/getUpdates failed',
    );
  });

  it('a log line carries no token and no secret-named field, and keeps its trace fields', () => {
    const { log, lines } = capture();
    traced(log, { update_id: 7, job_id: 'update-7', queue: 'billing', user_id: 42 }).error('send failed', {
      error: new Error(`fetch https://api.telegram.org/bot${TOKEN}/sendMessage`),
      password: 'hunter2',
      details: { webhook_secret: 's3cret', ok: true },
    });
    const text = JSON.stringify(lines);
    expect(text).not.to.include(TOKEN);
    expect(text).not.to.include('hunter2');
    expect(text).not.to.include('s3cret');
    expect(lines[0]).to.include({ update_id: 7, job_id: 'update-7', queue: 'billing', user_id: 42, message: 'send failed', level: 'error' });
  });

  it('lines below the level are dropped before they are formatted', () => {
    const { log, lines } = capture('warn');
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => l.message)).to.deep.equal(['loud']);
  });
});
