import { defineWorker } from '../src/jobs/handler.types';
import { avatarHandlers } from '../src/domain/avatars/avatar.handlers';

/** avatars: CPU- and memory-bound image work (sharp); a low concurrency, scaled by adding processes. */
export const avatarsWorker = defineWorker({
  queue: 'avatars',
  concurrency: (config) => config.CONCURRENCY_AVATARS,
  handlers: (deps) => avatarHandlers(deps),
});
