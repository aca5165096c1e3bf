import { createKnex } from '../../src/db/knex';
import { HoldsRepository } from '../../src/repositories/holds.repository';
import { InsufficientFundsError, LedgerRepository } from '../../src/repositories/ledger.repository';

/**
 * A separate process that charges concurrently, the way paid jobs do: hold the price under the request's key, then
 * capture it (for the ledger's multi-process test and the charges benchmark).
 * argv: database url, user id, amount, key prefix, first index, count. Prints {applied, refused, duplicate}.
 */
async function main(): Promise<void> {
  const [url, userId, amount, prefix, first, count] = process.argv.slice(2);
  // Through a pooler (npm run test:pgbouncer), as a worker there: DATABASE_PREPARED_STATEMENTS=off.
  const knex = createKnex(url!, { max: 10 }, { prepared: process.env.DATABASE_PREPARED_STATEMENTS !== 'off' });
  const holds = new HoldsRepository(knex, new LedgerRepository(knex));
  const tally = { applied: 0, refused: 0, duplicate: 0 };
  await Promise.all(
    Array.from({ length: Number(count) }, async (_, i) => {
      const key = `${prefix}:${Number(first) + i}`;
      try {
        const held = await holds.hold({ userId: Number(userId), key, service: 'avatar', amount: Number(amount), queue: 'avatars', jobId: key });
        if (!held.created) {
          tally.duplicate++;
          return;
        }
        await holds.settle(key, 'captured');
        tally.applied++;
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
