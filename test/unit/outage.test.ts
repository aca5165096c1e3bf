import { expect } from 'chai';
import { outageDelayMs, waitsOutOutage } from '../../src/jobs/outage';
import { isOutage } from '../../src/lib/outage';

describe('outages (which failures wait without spending attempts)', () => {
  it('connection failures of Postgres, Redis and Telegram count as outages; bad requests and bugs do not', () => {
    const withCode = (message: string, code: string | number) => Object.assign(new Error(message), { code });
    expect(isOutage(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).to.equal(true);
    expect(isOutage(withCode('terminating connection due to administrator command', '57P01'))).to.equal(true);
    expect(isOutage(withCode('the database system is starting up', '57P03'))).to.equal(true);
    expect(isOutage(withCode('connection failure', '08006'))).to.equal(true);
    expect(isOutage(Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' }))).to.equal(true);
    expect(isOutage(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).to.equal(true);
    expect(isOutage(Object.assign(new Error('502: Bad Gateway'), { code: 502, response: { error_code: 502 } }))).to.equal(true);
    expect(isOutage(new Error('wrapped', { cause: withCode('read ECONNRESET', 'ECONNRESET') }))).to.equal(true);
    expect(isOutage(withCode('duplicate key value violates unique constraint', '23505'))).to.equal(false);
    expect(isOutage(Object.assign(new Error('400: Bad Request: chat not found'), { code: 400, response: { error_code: 400 } }))).to.equal(false);
    expect(isOutage(new TypeError("Cannot read properties of undefined (reading 'id')"))).to.equal(false);
  });

  it('an outage is waited out until its deadline, then the attempts count again', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(waitsOutOutage(err, { data: {} })).to.equal(true);
    expect(waitsOutOutage(err, { data: { _outage: { until: 2_000, waits: 3 } } }, 1_000)).to.equal(true);
    expect(waitsOutOutage(err, { data: { _outage: { until: 2_000, waits: 3 } } }, 2_000)).to.equal(false);
    expect(waitsOutOutage(new Error('a bug'), { data: {} })).to.equal(false);
  });

  it('waits grow from 1 s to at most 15 s, spread by jitter', () => {
    expect(outageDelayMs(0, () => 0.5)).to.equal(1_000);
    expect(outageDelayMs(2, () => 0.5)).to.equal(4_000);
    expect(outageDelayMs(10, () => 0.5)).to.equal(15_000);
    expect(outageDelayMs(10, () => 1)).to.equal(18_750);
    expect(outageDelayMs(0, () => 0)).to.equal(750);
  });
});
