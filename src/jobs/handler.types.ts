import type { Job, RateLimiterOptions } from 'bullmq';
import type { Knex } from 'knex';
import type { TelegramClient } from '../adapters/telegram.client';
import type { Config, QueueName } from '../config';
import type { Logger } from '../lib/logger';
import type { Keyring } from '../lib/crypto';
import type { AuditRepository } from '../repositories/audit.repository';
import type { ReceiptsRepository } from '../repositories/receipts.repository';
import type { LedgerRepository } from '../repositories/ledger.repository';
import type { HoldsRepository } from '../repositories/holds.repository';
import type { AvatarsRepository } from '../repositories/avatars.repository';
import type { TranscriptsRepository } from '../repositories/transcripts.repository';
import type { PaymentsRepository } from '../repositories/payments.repository';
import type { OutboxRepository } from '../repositories/outbox.repository';
import type { SystemStateRepository } from '../repositories/system-state.repository';
import type { BackupsRepository } from '../repositories/backups.repository';
import type { SharedMetrics } from '../observability/shared-metrics';
import type { AdminAlerts } from '../observability/admin-alerts';
import type { UserModel } from '../repositories/user.model';
import type { UsersRepository } from '../repositories/users.repository';
import { catalogue, type JobName, type JobsOfQueue, type Payload } from './catalogue';
import type { Enqueue } from './enqueue';
import type { QueueRegistry } from './queues';
import type { ChatPacer } from './chat-pacer';
import type { BroadcastTally } from './broadcast-tally';
import type { CriticalLog } from '../observability/critical-log';
import type { DialogMirror } from './dialog-mirror';

/** Everything a handler may use. Handlers reach the outside world only through these. */
export interface WorkerDeps {
  config: Config;
  log: Logger;
  knex: Knex;
  users: UsersRepository;
  audit: AuditRepository;
  receipts: ReceiptsRepository;
  telegram: TelegramClient;
  enqueue: Enqueue;
  metrics: SharedMetrics;
  alerts: AdminAlerts;
  /** Read access to every queue (admin statistics). Producers use `enqueue`. */
  queues: QueueRegistry;
  /** Per-chat order and pace of outbound messages. */
  pacer: ChatPacer;
  broadcasts: BroadcastTally;
  ledger: LedgerRepository;
  /** Coins set aside for paid work (see src/domain/billing/paid-work.ts). */
  holds: HoldsRepository;
  avatars: AvatarsRepository;
  /** Transcripts, their text sealed with ENCRYPTION_KEY. */
  transcripts: TranscriptsRepository;
  payments: PaymentsRepository;
  /** Jobs that must follow a commit, written with it and relayed (src/jobs/outbox.ts). */
  outbox: OutboxRepository;
  /** Named values kept between runs (the reconciliation's cursor). */
  state: SystemStateRepository;
  /** ENCRYPTION_KEY's keys: what users wrote is sealed before it is stored (transcripts, feedback). */
  keyring: Keyring;
  /** Backup records and their drill verdicts. */
  backups: BackupsRepository;
  /** Dialog states mirrored to Postgres, and put back into Redis after a loss. */
  dialogs: DialogMirror;
  /** The critical log in Redis (errors and security events), for `/logs`. */
  criticalLog: CriticalLog;
}

export interface JobContext {
  job: Job;
  log: Logger;
  /** The acting user, registered or refreshed before the handler runs (jobs with an `actor`). */
  user?: UserModel;
  /** True when this job registered the user. */
  userCreated?: boolean;
  /**
   * The user's coins when the job started, read with the user's row. For showing only: what a charge may take is
   * decided by the ledger's statements, never from this.
   */
  balance?: number;
  /** The worker's lock token for this job (needed to delay it, e.g. to wait for a chat's turn). */
  token?: string;
  /** Aborted when the worker gives up on in-flight jobs at shutdown: long work stops and the job is handed back. */
  signal?: AbortSignal;
}

export type Handler<N extends JobName> = (payload: Payload<N>, ctx: JobContext) => Promise<unknown>;

export type HandlerMap<Q extends QueueName> = { [N in JobsOfQueue<Q>]: Handler<N> };

/** A feature's handlers, by job name, whatever queue each job runs on (a worker takes its own with `handlersOf`). */
export type Handlers<N extends JobName> = { [K in N]: Handler<K> };

/**
 * The handlers among `all` whose job runs on `queue`: one feature's handler file may serve several queues (billing's
 * cabinet views on `interactive`, its payments on `billing`), and a worker registers only its own queue's jobs.
 */
export function handlersOf<Q extends QueueName, H extends Partial<Handlers<JobName>>>(queue: Q, all: H): Pick<H, Extract<keyof H, JobsOfQueue<Q>>> {
  return Object.fromEntries(Object.entries(all).filter(([name]) => catalogue[name as JobName]?.queue === queue)) as Pick<H, Extract<keyof H, JobsOfQueue<Q>>>;
}

/** One queue's worker: which queue, how many jobs at once, and its handlers (built from the deps). */
export interface QueueWorkerDefinition<Q extends QueueName = QueueName> {
  queue: Q;
  concurrency(config: Config): number;
  /** A rate for the whole queue, shared by every replica (BullMQ's limiter lives in Redis). */
  limiter?(config: Config): RateLimiterOptions;
  /** The retry delay (ms) before attempt `attemptsMade + 1` of jobs whose options say `backoff: { type: 'custom' }`. */
  backoff?(config: Config, attemptsMade: number): number;
  /**
   * Runs once before this process starts the queue's worker (only where the queue runs): check the tools it needs
   * and throw a message that says what is missing, tidy what a killed process left, queue maintenance jobs.
   */
  start?(deps: WorkerDeps): Promise<void>;
  handlers(deps: WorkerDeps): Partial<Record<JobName, Handler<never>>> & HandlerMap<Q>;
}

export function defineWorker<Q extends QueueName>(def: {
  queue: Q;
  concurrency(config: Config): number;
  limiter?(config: Config): RateLimiterOptions;
  backoff?(config: Config, attemptsMade: number): number;
  start?(deps: WorkerDeps): Promise<void>;
  handlers(deps: WorkerDeps): HandlerMap<Q>;
}): QueueWorkerDefinition<Q> {
  return def as QueueWorkerDefinition<Q>;
}
