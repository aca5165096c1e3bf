import type { Context } from 'telegraf';
import type { JobName, PayloadInput } from '../jobs/catalogue';
import type { Dialog } from './fsm/dialog';
import type { Feature } from '../config';

/** Jobs a user action can start: those whose payload names the acting user. */
export type ActionJobName = { [N in JobName]: PayloadInput<N> extends { actor: unknown } ? N : never }[JobName];
export type ActionExtra<N extends ActionJobName> = Omit<PayloadInput<N>, 'actor' | 'updateId'>;

/** What a feature sees: telegraf's context plus the dialog state and the one-job-per-action door. */
export interface BotContext extends Context {
  dialog: Dialog;
  /** Features this deployment runs without (FEATURES_OFF): their requests get "not available on this server". */
  off: ReadonlySet<Feature>;
  /** Enqueues the ONE job this update maps to. A second call in the same update throws. */
  act<N extends ActionJobName>(name: N, extra: ActionExtra<N>): Promise<void>;
}
