import type { Knex } from 'knex';

/**
 * The transactional outbox: a job that must follow a commit (the result of paid work after its capture, the thanks
 * after a credit, the refund of a banned payer's Stars) is written by the same statement or transaction as the
 * commit, then relayed to BullMQ under its own job id. A row stays open until its job completed (`done_at`), so a job
 * lost with Redis is relayed again (docs/RELIABILITY.md).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id');
    t.text('queue').notNullable();
    t.text('job_id').notNullable();
    t.text('name').notNullable();
    t.jsonb('payload').notNullable();
    /** What made it: `hold:<key>`, `payment:<charge>`. */
    t.text('source');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('relayed_at', { useTz: true });
    t.integer('relays').notNullable().defaultTo(0);
    t.timestamp('done_at', { useTz: true });
    /** completed | failed | abandoned */
    t.text('outcome');
    t.unique(['queue', 'job_id']);
  });
  // The relay and its sweep read only open rows.
  await knex.raw('CREATE INDEX outbox_open ON outbox (created_at) WHERE done_at IS NULL');
  await knex.raw('CREATE INDEX outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('outbox');
}
