import { createKnex } from '../../src/db/knex';
import { InsufficientFundsError, LedgerRepository } from '../../src/repositories/ledger.repository';

/**
 * A separate process that posts charges concurrently (for the ledger's multi-process test).
 * argv: database url, user id, amount, key prefix, first index, count. Prints {applied, refused, duplicate}.
 */
async function main(): Promise<void> {
  const [url, userId, amount, prefix, first, count] = process.argv.slice(2);
  const knex = createKnex(url!, { max: 10 });
  const ledger = new LedgerRepository(knex);
  const tally = { applied: 0, refused: 0, duplicate: 0 };
  await Promise.all(
    Array.from({ length: Number(count) }, async (_, i) => {
      try {
        const r = await ledger.post({ userId: Number(userId), kind: 'debit', amount: -Number(amount), idempotencyKey: `${prefix}:${Number(first) + i}` });
        tally[r.applied ? 'applied' : 'duplicate']++;
      } catch (err) {
        if (err instanceof InsufficientFundsError) tally.refused++;
        else throw err;
      }
    }),
  );
  await knex.destroy();
  process.stdout.write(JSON.stringify(tally));
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
