import { expect } from 'chai';
import { PgToolError, pgEnv } from '../../src/adapters/postgres-tools';

describe('PostgreSQL client tools', () => {
  it('tells a server that is away, full or out of connections (retry later) from a bad archive (the drill fails)', () => {
    const transient = [
      'pg_restore failed (exit 1): pg_restore: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  sorry, too many clients already',
      'pg_restore failed (exit 1): pg_restore: error: could not execute query: ERROR:  could not extend file "base/16384/16390": No space left on device',
      'pg_dump failed (exit 1): pg_dump: error: connection to server was lost',
      'pg_restore failed (exit 1): pg_restore: error: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: FATAL:  the database system is starting up',
    ];
    const permanent = [
      'pg_restore failed (exit 1): pg_restore: error: could not read from input file: end of file',
      'pg_restore failed (exit 1): pg_restore: error: input file does not appear to be a valid archive',
      'pg_restore failed (exit 1): pg_restore: error: could not uncompress data: invalid distance too far back',
    ];
    for (const m of transient) expect(new PgToolError(m).transient, m).to.equal(true);
    for (const m of permanent) expect(new PgToolError(m).transient, m).to.equal(false);
  });

  it('passes the password and TLS settings of DATABASE_URL in the environment, never as an argument', () => {
    const env = pgEnv('postgres://app:s%40cret@db.internal:6543/switch?sslmode=verify-full&sslrootcert=/etc/ca.pem');
    expect(env).to.include({ PGHOST: 'db.internal', PGPORT: '6543', PGDATABASE: 'switch', PGUSER: 'app', PGPASSWORD: 's@cret', PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/ca.pem' });
  });
});
