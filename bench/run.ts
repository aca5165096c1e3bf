import os from 'node:os';
import { benchAvatarMemory, benchAvatarThroughput } from './avatars.bench';
import { benchIngress } from './ingress.bench';
import { benchBroadcast, benchOutbound } from './delivery.bench';
import { benchCapacity, benchLatency } from './latency.bench';
import { benchCharges, benchPrecheckout } from './billing.bench';
import { fmt } from './support';
import { benchWorker } from './worker.bench';
import { benchTranscripts } from './transcripts.bench';
import { benchBackups } from './backups.bench';
import { benchProfile } from './profile.bench';
import { benchScale, SCALE_USERS } from './scale.bench';

/** `npm run bench`: every benchmark, printed as the Markdown rows docs/BENCHMARKS.md keeps. */
async function main(): Promise<void> {
  const only = process.argv[2];
  if (only === 'profile') return printProfile();
  console.log(`# ${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model} · ${fmt(os.totalmem() / 2 ** 30)} GiB\n`);
  console.log('| benchmark | ours | baseline (same run) | ratio | target |');
  console.log('|---|---|---|---|---|');
  if (!only || only === 'ingress') {
    const r = await benchIngress();
    console.log(`| ingress updates/s vs bare \`queue.add\`/s | ${fmt(r.ingress)} | ${fmt(r.raw)} | ${fmt(r.ratio, 2)} | ≥ 0.8 |`);
    const perUpdate = (rate: number) => 1e6 / rate;
    console.log(
      `| ingress without the add (admission, routing, validation, release) | ${fmt(r.admissionOnly)}/s = ${fmt(perUpdate(r.admissionOnly))} µs per update | bare \`queue.add\` ${fmt(perUpdate(r.raw))} µs per update | ${fmt(r.admissionOnly / r.raw, 2)} | — |`,
    );
    console.log(`| ingress without the reply's reserved place (order across updates) | ${fmt(r.unreserved)}/s | with it ${fmt(r.ingress)}/s | ${fmt(r.ingress / r.unreserved, 2)} | — |`);
  }
  if (!only || only === 'worker') {
    const r = await benchWorker();
    console.log(`| worker-runner no-op jobs/s vs bare BullMQ \`Worker\` | ${fmt(r.runner)} | ${fmt(r.bare)} | ${fmt(r.ratio, 2)} | ≥ 0.9 |`);
  }
  if (!only || only === 'delivery') {
    const o = await benchOutbound(100, 300, 5);
    console.log(
      `| outbound rate with Telegram's limits enforced (${o.messages} messages, 300 chats) | ${fmt(o.achieved, 1)} msg/s, ${o.tooMany} × 429 | configured ${o.configured} msg/s | ${fmt(o.ratio, 2)} | ≥ 0.95 with 0 × 429 |`,
    );
    const b = await benchBroadcast(200, 10_000);
    console.log(`| broadcast to 10,000 users at 200 msg/s (${b.report}) | ${fmt(b.seconds, 1)} s | 10,000 / 200 = ${fmt(b.ideal, 1)} s | ${fmt(b.ratio, 2)} | ≤ 1.05 |`);
  }
  if (!only || only === 'billing' || only === 'charges') {
    const c = await benchCharges();
    console.log(
      `| charges/s (hold + capture), 50 concurrent jobs over 50 accounts, ${fmt(c.charges)} charges, 1 in 10 duplicated | ${fmt(c.ours)}/s · ${c.doubleCharges} double charges · ledger sums ${c.sumsMatch ? 'match' : 'DO NOT match'} | bare \`UPDATE balances\` ${fmt(c.raw)}/s | ${fmt(c.ratio, 2)} | ≥ 1,000/s, 0 double |`,
    );
  }
  if (!only || only === 'billing' || only === 'checkout') {
    const p = await benchPrecheckout();
    console.log(
      `| pre_checkout → answer while ingesting ${fmt(p.achievedRate)} updates/s of /balance (${p.paid} payments${p.failedSends ? `, ${fmt(p.failedSends)} sends FAILED` : ''}) | p50 ${fmt(p.p50)} ms · p99 ${fmt(p.p99)} ms · max ${fmt(p.max)} ms | — | — | p99 ≤ 1,000 ms |`,
    );
  }
  if (!only || only === 'avatars') {
    const t = await benchAvatarThroughput();
    console.log(
      `| avatar jobs/s through the avatars worker process (${t.jobs} × ${fmt(t.megapixels)} MP JPEG, both ${t.concurrency} at a time) vs sharp alone, same transform | ${fmt(t.worker, 2)}/s | ${fmt(t.raw, 2)}/s | ${fmt(t.ratio, 2)} | ≥ 0.9 |`,
    );
    const m = await benchAvatarMemory();
    console.log(
      `| avatars worker peak RSS, four 20 MP JPEGs (${fmt(m.sourceMb, 1)} MB each) at once, CONCURRENCY_AVATARS=4 | ${fmt(m.peakMb)} MB (idle ${fmt(m.idleMb)} MB) | — | — | < 400 MB |`,
    );
  }
  if (!only || only === 'transcripts') {
    const t = await benchTranscripts();
    console.log(
      `| transcript real-time factor, pocketsphinx through the whole platform (voice → bot → transcripts worker → reply) vs the engine alone on the same ${fmt(t.audioSeconds, 1)} s recording, ${t.runs} alternating runs each${t.sameText ? ', same text' : ', TEXT DIFFERS'} | RTF ${fmt(t.workerRtf, 3)} median · ${fmt(t.bestWorkerRtf, 3)} best | RTF ${fmt(t.engineRtf, 3)} median · ${fmt(t.bestEngineRtf, 3)} best | overhead ${fmt(t.overhead * 100, 1)} % median · ${fmt(t.bestOverhead * 100, 1)} % best (ffmpeg's part: ${fmt(t.convertSeconds, 2)} s) | overhead ≤ 10 %, RTF ≤ 0.5 |`,
    );
  }
  if (!only || only === 'backups') {
    const b = await benchBackups();
    console.log(
      `| backup + restore drill, ${fmt(b.rows)}-row ledger (${fmt(b.megabytes, 1)} MB dump), through the backups worker process vs raw \`pg_dump -Fc\` + createdb + \`pg_restore --jobs=2\` + dropdb, ${b.runs} alternating runs, medians | ${fmt(b.ours, 2)} s (dump ${fmt(b.oursDump, 2)} s · drill ${fmt(b.oursDrill, 2)} s) | ${fmt(b.raw, 2)} s (dump ${fmt(b.rawDump, 2)} s · restore ${fmt(b.rawRestore, 2)} s) | ${fmt(b.ratio, 2)} | ≤ 1.3 |`,
    );
  }
  if (!only || only === 'capacity') {
    const c = await benchCapacity();
    console.log(
      `| capacity: highest first-contact \`/start\` rate held ${process.env.BENCH_CAPACITY_SECONDS ?? 30} s with p99 ≤ 100 ms, every update answered (ours: ${c.oursSteps.join('; ')} — bare: ${c.bareSteps.join('; ')}) | ${fmt(c.ours)}/s | bare telegraf → \`queue.add\` → \`Worker\` → upsert → \`sendMessage\`: ${fmt(c.bare)}/s | ${fmt(c.ratio, 2)} | ≥ 0.8 |`,
    );
  }
  if (!only || only === 'scale') {
    const rows = await benchScale();
    const cpu: string[] = [];
    for (const { backend, points } of rows) {
      const [one] = points;
      const ratios = points.slice(1).map((p) => `${p.processes}÷1 = ${fmt(p.rate / one!.rate, 2)}`).join(' · ');
      const lost = points.reduce((sum, p) => sum + p.unanswered, 0);
      console.log(
        `| first-contact \`/start\` replies/s with ${points.map((p) => p.processes).join(' · ')} worker processes, ${backend} (${fmt(SCALE_USERS)} new users per point, sent as fast as the sandbox takes them${lost ? `, ${fmt(lost)} UNANSWERED` : ''}) | ${points.map((p) => fmt(p.rate)).join(' · ')} /s | ${backend === 'one Redis' ? '—' : `one Redis, same run: ${rows[0]!.points.map((p) => fmt(p.rate)).join(' · ')} /s`} | ${ratios} | grows until the cores are busy |`,
      );
      for (const p of points) {
        const c = p.cores;
        const ours = c.workers + c.bot + c.redis + c.postgres + c.driver;
        cpu.push(`- ${backend}, ${p.processes} worker process(es): ${fmt(p.rate)}/s over ${fmt(p.seconds, 1)} s; cores busy of ${os.cpus().length}: machine ${fmt(c.machine, 2)} · workers ${fmt(c.workers, 2)} · bot ${fmt(c.bot, 2)} · redis-server(s) ${fmt(c.redis, 2)} · Postgres ${fmt(c.postgres, 2)} · sandbox + driver ${fmt(c.driver, 2)}; ours together ${fmt(ours, 2)} = ${fmt((ours * 1000) / p.rate, 1)} ms of CPU per reply`);
      }
    }
    console.log(`\nCPU over each measured window (${os.loadavg().map((l) => fmt(l, 2)).join(', ')} load average at the end):\n\n${cpu.join('\n')}\n`);
  }
  if (!only || only === 'latency') {
    // The target rate, and a quarter of it to show the pipeline's own latency when the machine is not saturated.
    for (const [rate, processes] of [[200, 1], [200, 2], [50, 1], [50, 2]] as const) {
      const r = await benchLatency(rate, processes);
      console.log(
        `| /start update → reply at ${r.rate}/s (${r.count} updates, sent at ${fmt(r.achievedRate)}/s), WORKER_PROCESSES=${processes} | p50 ${fmt(r.p50)} ms · p99 ${fmt(r.p99)} ms · max ${fmt(r.max)} ms | — | — | p50 ≤ 10 ms · p99 ≤ 50 ms |`,
      );
    }
  }
}

/** `npm run bench -- profile`: the per-update cost budget (docs/PERFORMANCE.md). */
async function printProfile(): Promise<void> {
  const rows = await benchProfile();
  console.log(`# ${new Date().toISOString()} · per-update cost, net of the idle deployment · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model}\n`);
  console.log('| update | n | Redis commands, scripts\' own included (scripts) | Postgres statements (writes) | CPU µs: bot · worker · avatars | Redis · Postgres · sandbox | total |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const c = r.cpuUs;
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    console.log(`| ${r.scenario} | ${r.count} | ${fmt(r.redisCalls, 1)} (${fmt(r.redisScripts, 1)}) | ${fmt(r.pgStatements, 1)} (${fmt(r.pgWrites, 1)}) | ${fmt(c.bot!)} · ${fmt(c.worker!)} · ${fmt(c.avatars!)} | ${fmt(c.redis!)} · ${fmt(c.postgres!)} · ${fmt(c.sandbox!)} | ${fmt(total)} |`);
  }
  console.log('\nWhere it goes (per update):\n');
  for (const r of rows) console.log(`- ${r.scenario}: Redis ${r.topRedis}; Postgres ${r.topPg}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
