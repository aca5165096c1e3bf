import type { Telegram } from 'telegraf';
import type { SandboxClient, SandboxMessage, Update } from '../../src/sandbox/sandbox.client';
import { waitFor } from './wait';

/** The callback data of every button under a message, row by row. */
export function buttons(m: SandboxMessage | undefined): string[] {
  const markup = m?.reply_markup as { inline_keyboard?: { text: string; callback_data?: string }[][] } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data ?? '');
}

/** The first bot message in the chat after `afterId` that matches, once it is there. */
export async function nextMessage(client: SandboxClient, chatId: number, afterId: number, match: (m: SandboxMessage) => boolean, timeoutMs = 10_000): Promise<SandboxMessage> {
  let found: SandboxMessage | undefined;
  await waitFor(async () => !!(found = (await client.messages(chatId)).find((m) => m.message_id > afterId && match(m))), 'bot message', timeoutMs);
  return found!;
}

export const lastMessageId = async (client: SandboxClient, chatId: number) => (await client.messages(chatId)).at(-1)?.message_id ?? 0;

/** /topup → the package button (the first by default) → its invoice, once it is there (three actions of the user's). */
export async function invoiceFor(client: SandboxClient, userId: number, packageIndex = 0): Promise<SandboxMessage> {
  const last = await lastMessageId(client, userId);
  await client.sendText(userId, '/topup');
  const offer = await nextMessage(client, userId, last, (m) => buttons(m).includes('topup:0'));
  await client.pressButton(userId, offer.message_id, buttons(offer)[packageIndex]!);
  return nextMessage(client, userId, offer.message_id, (m) => !!m.invoice);
}

/** The message id of the user's photo or file in an update. */
export const sourceMessageId = (update: Update) => (update as { message: { message_id: number } }).message.message_id;

/**
 * The user sends a photo or file (`send`), waits for the style offer under it and taps `style`. Returns the offer
 * and the source's message id.
 */
export async function chooseStyle(
  client: SandboxClient,
  userId: number,
  send: () => Promise<Update>,
  style: 'square' | 'circle' | 'gray' = 'square',
): Promise<{ offer: SandboxMessage; messageId: number }> {
  const after = await lastMessageId(client, userId);
  const messageId = sourceMessageId(await send());
  const offer = await nextMessage(client, userId, after, (m) => buttons(m).some((b) => b.startsWith(`avatar:style:${messageId}:`)));
  await client.pressButton(userId, offer.message_id, `avatar:style:${messageId}:${style}`);
  return { offer, messageId };
}

/** The bytes of a file the bot sent (a photo's largest size, or a document), downloaded like a client would. */
export async function downloadSent(telegram: Telegram, m: SandboxMessage): Promise<Buffer> {
  const fileId = m.photo?.at(-1)?.file_id ?? (m.document as { file_id: string } | undefined)?.file_id;
  if (!fileId) throw new Error(`message ${m.message_id} carries no file`);
  const link = await telegram.getFileLink(fileId);
  return Buffer.from(await (await fetch(link)).arrayBuffer());
}
