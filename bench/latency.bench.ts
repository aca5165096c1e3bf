import { startDeployment } from './deployment';
import { percentile } from './support';

const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);

/**
 * Update → reply latency for /start at a steady RATE through the sandbox, with the real `bot` and `worker`
 * processes (see `startDeployment`) against Redis and Postgres.
 */
export async function benchLatency(RATE: number): Promise<{ rate: number; count: number; p50: number; p99: number; max: number; achievedRate: number }> {
  const { client, close } = await startDeployment('latency', 7_000_000);
  try {
    const total = RATE * SECONDS;
    const users = [];
    for (let i = 0; i < total; i++) users.push(await client.createUser({ language_code: i % 2 ? 'ru' : 'en' }));
    const sentAt = new Map<number, number>();
    const started = Date.now();
    for (let i = 0; i < total; i++) {
      // Open-loop pacing: each update is due at its slot, whatever happened to the ones before.
      const due = started + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const id = users[i]!.id;
      void client.sendText(id, '/start').then(() => sentAt.set(id, Date.now()));
    }
    const achievedRate = total / ((Date.now() - started) / 1000);
    const latencies: number[] = [];
    for (const u of users) {
      const [reply] = await client.waitForMessages(u.id, 1, 30_000);
      latencies.push(reply!.at - sentAt.get(u.id)!);
    }
    latencies.sort((a, b) => a - b);
    return { rate: RATE, count: total, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1]!, achievedRate };
  } finally {
    await close();
  }
}
