import { Stack } from '../test/support/stack';
import { scratchDatabase } from '../test/support/scratch-db';

/** Benchmarks reuse the test stack (sandbox, in-process bot and workers) on a scratch database of their own. */

/** Sends `n` messages to `chats` chats (in rounds) and measures the rate at which the sandbox received them. */
export async function benchOutbound(rate: number, chats: number, perChat: number): Promise<{ achieved: number; configured: number; ratio: number; tooMany: number; messages: number }> {
  const db = await scratchDatabase();
  const stack = await Stack.start({ bot: false, env: { DATABASE_URL: db.url, TELEGRAM_GLOBAL_RATE: String(rate) }, limits: { globalPerSecond: rate, globalBurst: rate } });
  try {
    const users = [];
    for (let i = 0; i < chats; i++) users.push(await stack.client.createUser());
    const before = (await stack.client.stats()).tooManyRequests;
    for (let n = 0; n < perChat; n++) {
      await Promise.all(users.map((u) => stack.workers!.deps.enqueue('message.send', { chatId: u.id, text: `message ${n}` })));
    }
    const times: number[] = [];
    for (const u of users) for (const m of await stack.client.waitForMessages(u.id, perChat, 300_000)) times.push(m.at);
    times.sort((a, b) => a - b);
    const achieved = (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000);
    return { achieved, configured: rate, ratio: achieved / rate, tooMany: (await stack.client.stats()).tooManyRequests - before, messages: times.length };
  } finally {
    await stack.stop();
    await db.drop();
  }
}

/** A /broadcast to `recipients` users: time to the admin's report vs recipients / configured rate. */
export async function benchBroadcast(rate: number, recipients: number): Promise<{ seconds: number; ideal: number; ratio: number; report: string }> {
  const db = await scratchDatabase();
  const admin = 5555;
  const stack = await Stack.start({
    env: { DATABASE_URL: db.url, ADMIN_IDS: String(admin), TELEGRAM_GLOBAL_RATE: String(rate) },
    limits: { globalPerSecond: rate, globalBurst: rate },
  });
  try {
    await stack.client.createUser({ id: admin });
    const users = [];
    for (let i = 0; i < recipients - 1; i++) users.push(await stack.client.createUser());
    for (let i = 0; i < users.length; i += 1000) {
      await stack.knex('users').insert(users.slice(i, i + 1000).map((u) => ({ telegram_id: u.id, language: 'en' })));
    }
    await stack.knex('users').insert({ telegram_id: admin, language: 'en', role: 'admin' });
    const started = Date.now();
    await stack.client.sendText(admin, '/broadcast Benchmark broadcast');
    const [, report] = await stack.client.waitForMessages(admin, 2, 900_000);
    const seconds = (report!.at - started) / 1000;
    const ideal = recipients / rate;
    return { seconds, ideal, ratio: seconds / ideal, report: report!.text ?? '' };
  } finally {
    await stack.stop();
    await db.drop();
  }
}
