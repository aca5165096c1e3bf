import { Queue } from 'bullmq';
import { queuePrefix, type RedisClient } from '../lib/redis';
import { QUEUE_NAMES, type QueueName } from '../config';
import { DEFAULT_JOB_OPTIONS } from './define';

/** One BullMQ Queue per queue name, sharing one producer connection. */
export class QueueRegistry {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: RedisClient,
    readonly prefix: string,
  ) {}

  get(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: queuePrefix(this.connection, this.prefix, name), defaultJobOptions: DEFAULT_JOB_OPTIONS });
      // A producer connection failing is reported by the caller's await; keep the process alive.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  all(): Queue[] {
    return QUEUE_NAMES.map((n) => this.get(n));
  }

  /** Closes the Queue objects; the shared connection stays open (its owner closes it). */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
