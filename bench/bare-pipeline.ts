import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Telegraf, Telegram } from 'telegraf';
import { createKnex } from '../src/db/knex';

/**
 * The capacity row's baseline: the least a `/start` pipeline can do with the same libraries and no Switchyard code.
 * - `bot`: telegraf long-polls the sandbox and turns each `/start` into one `queue.add`.
 * - `worker`: a bare BullMQ Worker does one Postgres upsert of the user and one `sendMessage`.
 * It has no dedupe, order, rate limit, receipts, ledger, outbox, logging or metrics. It is what "the libraries' speed"
 * means in the hot-path issue. The two run as two processes, as ours do, with the deployment's environment.
 */
const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const token = env('BOT_TOKEN');
const apiRoot = env('TELEGRAM_API_ROOT');
const prefix = env('QUEUE_PREFIX');
const QUEUE = 'bare-start';

interface StartJob {
  chatId: number;
  telegramId: number;
  username?: string;
  language: string;
}

async function bot(): Promise<void> {
  const producer = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: 3 });
  const queue = new Queue<StartJob>(QUEUE, { connection: producer, prefix, defaultJobOptions: { removeOnComplete: true, removeOnFail: 1_000 } });
  const telegraf = new Telegraf(token, { telegram: { apiRoot } });
  telegraf.start(async (ctx) => {
    await queue.add('start', { chatId: ctx.chat.id, telegramId: ctx.from.id, username: ctx.from.username, language: ctx.from.language_code === 'ru' ? 'ru' : 'en' });
  });
  const stop = () => {
    telegraf.stop('SIGTERM');
    void queue.close().then(() => producer.quit()).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await telegraf.launch({ dropPendingUpdates: false }, () => console.log(JSON.stringify({ message: 'bot started' })));
}

async function worker(): Promise<void> {
  const connection = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null });
  const knex = createKnex(env('DATABASE_URL'), { max: 10 });
  const telegram = new Telegram(token, { apiRoot });
  const w = new Worker<StartJob>(
    QUEUE,
    async ({ data }) => {
      await knex.raw(
        'INSERT INTO users (telegram_id, username, language) VALUES (?, ?, ?) ON CONFLICT (telegram_id) DO UPDATE SET last_seen_at = now() RETURNING id',
        [data.telegramId, data.username ?? null, data.language],
      );
      await telegram.sendMessage(data.chatId, data.language === 'ru' ? 'Добро пожаловать!' : 'Welcome!');
    },
    // The same as ours in total: CONCURRENCY_BILLING (10) + CONCURRENCY_NOTIFICATIONS (20) jobs at once.
    { connection, prefix, concurrency: 30 },
  );
  await w.waitUntilReady();
  console.log(JSON.stringify({ message: 'workers started' }));
  const stop = () => void w.close().then(() => knex.destroy()).then(() => connection.quit()).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

const mode = process.argv[2];
(mode === 'bot' ? bot() : mode === 'worker' ? worker() : Promise.reject(new Error('usage: bare-pipeline.js bot|worker'))).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
