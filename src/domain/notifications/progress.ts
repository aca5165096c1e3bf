import type { TelegramClient } from '../../adapters/telegram.client';
import type { Enqueue } from '../../jobs/enqueue';
import type { Language } from '../../jobs/payloads';

export interface ProgressDeps {
  enqueue: Enqueue;
  telegram: TelegramClient;
}

/**
 * What a long job shows its user while it works: a chat action ("typing…", "uploading a photo…") and one
 * "working…" message that is edited as the job advances. The message goes out and is edited through the
 * notifications queue like every other (paced, in order, receipted); the chat action is ephemeral and sent directly.
 * Job ids come from the owning job, so a retried job re-uses its message instead of sending a second one.
 */
export class Progress {
  private readonly messageJobId: string;
  private step = 0;

  constructor(
    private readonly deps: ProgressDeps,
    private readonly chatId: number,
    private readonly lang: Language,
    ownerJobId: string,
  ) {
    this.messageJobId = `progress-${ownerJobId}`;
  }

  /** Shows the chat action; failures are ignored (it is a courtesy, not a message). */
  async action(kind: 'typing' | 'upload_photo' | 'upload_document' | 'record_voice' = 'typing'): Promise<void> {
    await this.deps.telegram.sendChatAction(this.chatId, kind).catch(() => undefined);
  }

  /** Sends the "working…" message (once per owning job). */
  async start(key: string, params?: Record<string, string>): Promise<void> {
    await this.deps.enqueue('message.send', { chatId: this.chatId, lang: this.lang, template: { key, params } }, { jobId: this.messageJobId });
  }

  /** Replaces its text, e.g. with "50 %…" or "done". Steps are numbered so a retry repeats no edit twice. */
  async update(key: string, params?: Record<string, string>): Promise<void> {
    this.step += 1;
    await this.deps.enqueue(
      'message.edit',
      { chatId: this.chatId, messageJobId: this.messageJobId, lang: this.lang, template: { key, params } },
      { jobId: `${this.messageJobId}-edit-${this.step}` },
    );
  }
}
