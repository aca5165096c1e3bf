import type { QueueWorkerDefinition } from '../src/jobs/handler.types';
import { avatarsWorker } from './avatars.worker';
import { backupsWorker } from './backups.worker';
import { billingWorker } from './billing.worker';
import { interactiveWorker } from './interactive.worker';
import { notificationsWorker } from './notifications.worker';
import { transcriptsWorker } from './transcripts.worker';

/** Every queue's worker. */
export const workerDefinitions: QueueWorkerDefinition[] = [interactiveWorker, billingWorker, notificationsWorker, avatarsWorker, transcriptsWorker, backupsWorker];
