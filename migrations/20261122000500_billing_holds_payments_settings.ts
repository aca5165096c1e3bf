import type { Knex } from 'knex';

/**
 * Billing, second part: holds around paid work, Telegram Stars payments, and the user's cabinet settings.
 * A hold is keyed by its job's domain id (one per paid request, whatever the retries); a payment by Telegram's
 * `telegram_payment_charge_id` (credited once, whatever the re-deliveries).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('holds', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('RESTRICT');
    // The paid request's domain id, e.g. "avatar:<chat>:<message>": a retried job finds its hold instead of adding one.
    t.text('key').notNullable().unique();
    t.text('service').notNullable();
    t.bigInteger('amount').notNullable();
    t.text('status').notNullable().defaultTo('held');
    // The job doing the work, so the sweep can tell a slow job from a dead one.
    t.text('queue').notNullable();
    t.text('job_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('settled_at', { useTz: true });
    // The hold took the balance below the low-balance threshold: the user is told once the hold is captured.
    t.boolean('crossed_low').notNullable().defaultTo(false);

    t.check('amount > 0', [], 'holds_amount_positive');
    t.check("status IN ('held', 'captured', 'released')", [], 'holds_status_check');
  });
  // Partial indexes: the sweep looks only at open holds, /usage only at captured ones; a settled hold leaves the
  // first and a released one never enters the second, which keeps index upkeep per charge small.
  await knex.raw("CREATE INDEX holds_open_idx ON holds (id) WHERE status = 'held'");
  await knex.raw("CREATE INDEX holds_captured_idx ON holds (user_id) WHERE status = 'captured'");
  await knex.schema.createTable('payments', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('RESTRICT');
    t.text('telegram_payment_charge_id').notNullable().unique();
    t.text('package').notNullable();
    t.text('currency').notNullable();
    t.integer('stars').notNullable();
    t.bigInteger('coins').notNullable();
    t.text('status').notNullable().defaultTo('paid');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('refunded_at', { useTz: true });
    // refunding: the coins are taken back and Telegram is being asked; unmatched: money that matched no invoice.
    t.check("status IN ('paid', 'refunding', 'refunded', 'unmatched')", [], 'payments_status_check');
  });
  await knex.schema.alterTable('users', (t) => {
    // Set once the user picks a language in /settings; until then it follows Telegram's language_code.
    t.boolean('language_chosen').notNullable().defaultTo(false);
    t.boolean('notifications').notNullable().defaultTo(true);
    // True while the balance is below LOW_BALANCE_THRESHOLD and the user has been told (once per crossing).
    t.boolean('low_balance_notified').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('low_balance_notified');
    t.dropColumn('notifications');
    t.dropColumn('language_chosen');
  });
  await knex.schema.dropTable('payments');
  await knex.schema.dropTable('holds');
}
