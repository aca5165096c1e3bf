import type { DialogState } from '../../jobs/payloads';

/** A user's place in a multi-step dialog, kept in Redis between updates (and across bot restarts). */
export type { DialogState };

/** The dialog state of one update's (chat, user): read before the features run, saved after if it changed. */
export class Dialog {
  private state: DialogState | null;
  private dirty = false;

  constructor(readonly initial: DialogState | null) {
    this.state = initial;
  }

  get name(): string | null {
    return this.state?.name ?? null;
  }

  get data(): DialogState['data'] {
    return this.state?.data;
  }

  set(name: string, data?: DialogState['data']): void {
    this.state = { name, data };
    this.dirty = true;
  }

  clear(): void {
    if (this.state !== null) this.dirty = true;
    this.state = null;
  }

  get changed(): boolean {
    return this.dirty;
  }

  get current(): DialogState | null {
    return this.state;
  }

  static parse(raw: string | null | undefined): Dialog {
    if (!raw) return new Dialog(null);
    try {
      const parsed = JSON.parse(raw) as DialogState;
      return new Dialog(typeof parsed?.name === 'string' ? parsed : null);
    } catch {
      // A state we cannot read is a state we drop: the user starts over rather than getting stuck.
      return new Dialog(null);
    }
  }
}
