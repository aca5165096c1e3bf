import { spawn } from 'node:child_process';
import path from 'node:path';
import { OwnPgBouncer } from '../support/own-pgbouncer';

/**
 * `npm run test:pgbouncer`: the Postgres-heavy integration and e2e tests again, with every app's DATABASE_URL
 * through a PgBouncer 1.18 of this run's own in transaction pooling mode (DATABASE_DIRECT_URL to the server,
 * DATABASE_PREPARED_STATEMENTS=off: test/support/env.ts). Migrations, backups, drills and restores take the direct
 * URL. At the end pgbouncer's admin console must show transactions through it, or the run fails: a run that quietly
 * went around it proves nothing. Exit status: mocha's.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The subset: the whole stack (bot, workers, ledger, outbox, backups, retention) on Postgres, about two minutes. */
const FILES = [
  'integration/billing.test.js',
  'integration/ledger.test.js',
  'integration/bot-flow.test.js',
  'integration/avatars.test.js',
  'integration/outbox.test.js',
  'integration/backups.test.js',
  'integration/retention.test.js',
  'integration/transcripts.test.js',
  'integration/dialog-restore.test.js',
  'integration/pgbouncer.test.js',
  'e2e/worker-killed.test.js',
].map((f) => path.join('dist', 'test', f));

/** The Postgres server behind the pooler (the tests' own database is made there by the root hooks). */
const SERVER = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

async function main(): Promise<number> {
  const started = Date.now();
  const bouncer = await OwnPgBouncer.start({ serverHost: SERVER.hostname, serverPort: Number(SERVER.port || 5432) });
  try {
    const pooler = bouncer.url(SERVER.toString());
    process.stdout.write(`pgbouncer (transaction pooling) on 127.0.0.1:${bouncer.port} in front of ${SERVER.host}\n`);
    const code = await new Promise<number>((resolve, reject) => {
      const mocha = spawn(
        process.execPath,
        [path.join(ROOT, 'node_modules/mocha/bin/mocha.js'), '--no-config', '--require', 'dist/test/support/hooks.js', '--timeout', '60000', '--exit', ...process.argv.slice(2), ...FILES],
        { cwd: ROOT, stdio: 'inherit', env: { ...process.env, TEST_DATABASE_POOLER: pooler } },
      );
      // Ctrl-C or a CI timeout: mocha stops, and the finally below still kills pgbouncer and removes its folder.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => mocha.kill(signal));
      mocha.once('error', reject);
      mocha.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    const stats = (await bouncer.stats()).filter((s) => s.transactions > 0);
    const total = stats.reduce((n, s) => n + s.transactions, 0);
    const queries = stats.reduce((n, s) => n + s.queries, 0);
    process.stdout.write(
      `\npgbouncer carried ${total} transactions (${queries} queries) over ${stats.length} databases; the test database: ${stats.filter((s) => s.database.startsWith('switchyard_test_')).map((s) => `${s.database} ${s.transactions}`).join(', ') || 'none'}\n`,
    );
    process.stdout.write(`test:pgbouncer took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    if (total === 0) {
      process.stderr.write('No transaction went through pgbouncer: the tests did not use TEST_DATABASE_POOLER.\n');
      return 1;
    }
    return code;
  } catch (err) {
    process.stderr.write(`pgbouncer log (tail):\n${bouncer.log().slice(-3000)}\n`);
    throw err;
  } finally {
    await bouncer.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`test:pgbouncer failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
