import { type RedisClient, slotTag } from '../lib/redis';

/**
 * Counters and histograms shared by every replica through Redis: each process adds its increments to Redis hashes
 * (batched, flushed every second); the web process reads the totals for `/metrics`. So one scrape of `web` covers
 * every worker and bot replica on any platform (Procfile dynos cannot be scraped one by one). A crash loses at
 * most the last second of increments.
 */

/** Job duration buckets (seconds): from a no-op to a long transcript. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export const COUNTERS = {
  switchyard_jobs_total: { help: 'Jobs finished by queue, job name and outcome (completed, failed, retried, outage_wait: waited for an unreachable dependency)', labels: ['queue', 'name', 'outcome'] },
  switchyard_telegram_calls_total: { help: 'Bot API calls by method and result (ok, 429, 403, 400, error)', labels: ['method', 'result'] },
  switchyard_ingress_updates_total: { help: 'Updates through the ingress by outcome (enqueued, duplicate, rate_limited, ignored, failed)', labels: ['outcome'] },
  switchyard_billing_holds_total: { help: 'Holds for paid work by service and outcome (held, captured, released, insufficient, swept, waited)', labels: ['service', 'outcome'] },
  switchyard_payments_total: { help: 'Stars payments by outcome (checkout_ok, checkout_refused, checkout_expired: answered past Telegram’s 10 s, credited, duplicate, refunded, reconciled: found by reconciliation with no record)', labels: ['outcome'] },
  switchyard_outbox_total: {
    help: 'Outbox relay sweep by outcome (relayed_late: its run died after the commit; relayed_again: its job vanished; completed, failed, abandoned)',
    labels: ['outcome'],
  },
  switchyard_transcripts_total: {
    help: 'Transcript requests by engine and outcome (done, from_storage, failed, or the refusal: not_audio, empty, corrupt, too_long, too_large, no_speech)',
    labels: ['engine', 'outcome'],
  },
  switchyard_backups_total: {
    help: 'Backup work by operation and outcome: run (ok, failed, refused while another runs), verify (passed, failed: the restore drill)',
    labels: ['operation', 'outcome'],
  },
} as const;

/** Recording lengths (seconds): a short voice message to an hour. */
export const AUDIO_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
export const HISTOGRAMS = {
  switchyard_job_duration_seconds: { help: 'Job run time by queue and job name', labels: ['queue', 'name'], buckets: DURATION_BUCKETS },
  /** With the next one: real-time factor = rate(engine _sum) ÷ rate(audio _sum). */
  switchyard_transcript_audio_seconds: { help: 'Length of the recordings transcribed, by engine', labels: ['engine'], buckets: AUDIO_BUCKETS },
  switchyard_transcript_engine_seconds: { help: 'Time the speech engine took per transcript, by engine', labels: ['engine'], buckets: DURATION_BUCKETS },
  switchyard_backup_seconds: { help: 'Time a backup took, by operation: run (pg_dump with checksums), verify (the restore drill)', labels: ['operation'], buckets: [1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200] },
} as const;

export type CounterName = keyof typeof COUNTERS;
export type HistogramName = keyof typeof HISTOGRAMS;
type Labels = Record<string, string>;

/** Label values joined in the metric's label order; `|` never appears in our label values. */
export function fieldOf(labels: Labels, names: readonly string[]): string {
  return names.map((n) => (labels[n] ?? '').replace(/\|/g, '_')).join('|');
}

/** Every shared metric under one tag on a cluster: a flush is one pipeline, which ioredis sends to one node. */
export const metricsKey = (redis: RedisClient, prefix: string, metric: string): string => `${slotTag(redis, `${prefix}:metrics`)}:${metric}`;

export class SharedMetrics {
  private pending = new Map<string, Map<string, number>>();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    flushEveryMs = 1_000,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), flushEveryMs);
    this.timer.unref();
  }

  key(metric: string): string {
    return metricsKey(this.redis, this.prefix, metric);
  }

  private add(metric: string, field: string, by: number): void {
    let fields = this.pending.get(metric);
    if (!fields) this.pending.set(metric, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + by);
  }

  inc(metric: CounterName, labels: Labels, by = 1): void {
    this.add(metric, fieldOf(labels, COUNTERS[metric].labels), by);
  }

  observe(metric: HistogramName, labels: Labels, seconds: number): void {
    const def = HISTOGRAMS[metric];
    const base = fieldOf(labels, def.labels);
    // Stored per bucket (not cumulative); the reader accumulates. "+Inf" counts everything: it is the count.
    const bucket = def.buckets.find((b) => seconds <= b);
    this.add(metric, `${base}|le=${bucket ?? '+Inf'}`, 1);
    this.add(metric, `${base}|sum`, seconds);
  }

  /** Writes the increments gathered so far in one pipeline. */
  async flush(): Promise<void> {
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipeline = this.redis.pipeline();
    for (const [metric, fields] of batch) {
      for (const [field, by] of fields) {
        if (Number.isInteger(by)) pipeline.hincrby(this.key(metric), field, by);
        else pipeline.hincrbyfloat(this.key(metric), field, by);
      }
    }
    await pipeline.exec();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
