import http from 'node:http';
import type { SandboxClient } from '../src/sandbox/sandbox.client';
import { startDeployment, type DeployedProcess } from './deployment';
import { percentile } from './support';

const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);

export interface LatencyResult {
  rate: number;
  count: number;
  p50: number;
  p99: number;
  max: number;
  achievedRate: number;
  /** Updates that got no reply within 30 s after the last was sent. */
  unanswered: number;
}

/**
 * Sends text updates from sandbox users over a few keep-alive sockets: through fetch each send in flight opens a
 * connection of its own, and at hundreds per second the sandbox (in this process) accepts them late or resets them —
 * an artefact of the driver. `sentAt`: when each user's update existed (the sandbox answered 200); a failed send
 * leaves no entry.
 */
export function updateSender(client: SandboxClient, text = '/start'): { sentAt: Map<number, number>; send(userId: number): Promise<void>; close(): void } {
  const sentAt = new Map<number, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const body = JSON.stringify({ text });
  const send = (id: number) =>
    new Promise<void>((resolve) => {
      const req = http.request(
        `${client.baseUrl}/sandbox/${encodeURIComponent(client.token)}/users/${id}/text`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          if (res.statusCode === 200) sentAt.set(id, Date.now());
          res.on('error', () => resolve());
          res.on('end', () => resolve());
          res.resume();
        },
      );
      req.on('error', () => resolve());
      req.end(body);
    });
  return { sentAt, send, close: () => agent.destroy() };
}

/**
 * The sandbox's receipt time of each user's first bot message (undefined: none within `timeoutMs` of the call,
 * all users together).
 */
export async function firstReplies(client: SandboxClient, users: { id: number }[], timeoutMs = 30_000): Promise<Map<number, number | undefined>> {
  const out = new Map<number, number | undefined>();
  const giveUpAt = Date.now() + timeoutMs;
  for (const u of users) {
    const left = Math.max(1, giveUpAt - Date.now());
    const [reply] = await client.waitForMessages(u.id, 1, left).catch(() => [undefined]);
    out.set(u.id, reply?.at);
  }
  return out;
}

/**
 * `RATE × seconds` new users each send `/start` at a steady rate (open loop: each update is due at its slot,
 * whatever happened to the ones before); latency = the sandbox's receipt of the first reply − the moment the user's
 * update existed.
 */
export async function startLatency(client: SandboxClient, RATE: number, seconds = SECONDS): Promise<LatencyResult> {
  const total = RATE * seconds;
  const users = [];
  for (let i = 0; i < total; i++) users.push(await client.createUser({ language_code: i % 2 ? 'ru' : 'en' }));
  const { sentAt, send, close } = updateSender(client);
  const sends: Promise<void>[] = [];
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sends.push(send(users[i]!.id));
  }
  const achievedRate = total / ((Date.now() - started) / 1000);
  await Promise.all(sends);
  close();
  const latencies: number[] = [];
  let unanswered = 0;
  for (const [id, at] of await firstReplies(client, users)) {
    if (at === undefined || !sentAt.has(id)) unanswered++;
    else latencies.push(at - sentAt.get(id)!);
  }
  latencies.sort((a, b) => a - b);
  return { rate: RATE, count: total, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN, achievedRate, unanswered };
}

/**
 * Update → reply latency for /start at a steady RATE through the sandbox, with the real `bot` and `worker`
 * processes (see `startDeployment`) against Redis and Postgres.
 */
export async function benchLatency(RATE: number, workerProcesses = 1): Promise<LatencyResult> {
  const { client, close } = await startDeployment('latency', 7_000_000, [{ script: 'src/bot/main.js' }, { script: 'workers/main.js', env: { WORKER_PROCESSES: String(workerProcesses) } }]);
  try {
    return await startLatency(client, RATE);
  } finally {
    await close();
  }
}

const CAPACITY_SECONDS = Number(process.env.BENCH_CAPACITY_SECONDS ?? 30);
const CAPACITY_P99_MS = 100;

/**
 * The highest `/start` rate a pipeline sustains for CAPACITY_SECONDS with p99 ≤ 100 ms and every update answered:
 * doubling from 25/s until a rate fails (twice in a row), then halving the gap three times. Each step has new users
 * (first contact).
 */
async function capacity(name: string, tokenBase: number, processes: DeployedProcess[]): Promise<{ rate: number; steps: string[] }> {
  const { client, close } = await startDeployment(name, tokenBase, processes);
  const steps: string[] = [];
  const once = async (rate: number) => {
    const r = await startLatency(client, rate, CAPACITY_SECONDS);
    const ok = r.unanswered === 0 && r.p99 <= CAPACITY_P99_MS && r.achievedRate >= rate * 0.97;
    steps.push(`${rate}/s: p99 ${Math.round(r.p99)} ms${r.unanswered ? `, ${r.unanswered} unanswered` : ''} ${ok ? '✓' : '✗'}`);
    console.error(`[capacity ${name}] ${steps.at(-1)}`);
    // Let a failed step's backlog drain before the next one starts.
    if (!ok) await new Promise((res) => setTimeout(res, 5_000));
    return ok;
  };
  // A rate fails only if it fails twice: one hiccup of this shared machine (a checkpoint, a neighbour) must not set
  // the ceiling of the search.
  const holds = async (rate: number) => (await once(rate)) || (await once(rate));
  try {
    let lo = 0;
    let hi = 25;
    while (await holds(hi)) {
      lo = hi;
      hi *= 2;
      if (hi > 3_200) return { rate: lo, steps };
    }
    for (let i = 0; i < 3; i++) {
      const mid = Math.round((lo + hi) / 2);
      if (mid === lo || mid === hi) break;
      if (await holds(mid)) lo = mid;
      else hi = mid;
    }
    return { rate: lo, steps };
  } finally {
    await close();
  }
}

/**
 * The capacity row: ours (the real `bot` and `worker` processes) against a bare pipeline of the same libraries
 * (bench/bare-pipeline.ts), one after the other in the same run, on the same sandbox settings, Redis and Postgres.
 */
export async function benchCapacity(): Promise<{ ours: number; bare: number; ratio: number; oursSteps: string[]; bareSteps: string[] }> {
  const ours = await capacity('capacity', 7_500_000, [{ script: 'src/bot/main.js' }, { script: 'workers/main.js' }]);
  const bare = await capacity('capacity-bare', 7_600_000, [{ script: 'bench/bare-pipeline.js', args: ['bot'] }, { script: 'bench/bare-pipeline.js', args: ['worker'] }]);
  return { ours: ours.rate, bare: bare.rate, ratio: bare.rate ? ours.rate / bare.rate : NaN, oursSteps: ours.steps, bareSteps: bare.steps };
}
