import type { Job, JobsOptions } from 'bullmq';
import { catalogue, type JobName, type PayloadInput } from './catalogue';
import type { QueueRegistry } from './queues';

/** A payload that does not match its catalogue schema. Never retried: the data itself is wrong. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  constructor(
    readonly job: string,
    readonly detail: string,
  ) {
    super(`invalid payload for ${job}: ${detail}`);
  }
}

/** Validates `payload` against the catalogue entry of `name`, returning the parsed value. */
export function parsePayload<N extends JobName>(name: N, payload: unknown) {
  const result = catalogue[name].payload.safeParse(payload);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    throw new PayloadError(name, detail);
  }
  return result.data;
}

export type Enqueue = <N extends JobName>(name: N, payload: PayloadInput<N>, options?: JobsOptions) => Promise<Job>;

/** The typed producer: `enqueue('message.send', {...})` fails to compile with a wrong payload and throws on a bad one. */
export function createEnqueue(queues: QueueRegistry): Enqueue {
  return async (name, payload, options) => {
    const def = catalogue[name];
    const data = parsePayload(name, payload);
    return queues.get(def.queue).add(name, data, { ...def.options, ...options });
  };
}
