import type { BotState } from './sandbox.state';
import type { Json } from './sandbox.types';
import { ApiError, badRequest, compact } from './sandbox.util';
import { Described, Params } from './bot-api.params';

/** Everything a method implementation gets. */
export interface Ctx {
  bot: BotState;
  params: Params;
  /** Aborts when the HTTP client went away (only long polls care). */
  gone: AbortSignal;
}

export type Handler = (ctx: Ctx) => unknown;

const WEBHOOK_CONFLICT =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const TERMINATED =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
const MAX_POLL_SECONDS = 50;

function readAllowedUpdates(params: Params): string[] | undefined {
  const allowed = params.json<unknown>('allowed_updates');
  if (allowed === undefined) return undefined;
  if (!Array.isArray(allowed) || allowed.some((t) => typeof t !== 'string')) {
    throw badRequest("can't parse allowed_updates JSON array");
  }
  return allowed as string[];
}

async function getUpdates({ bot, params, gone }: Ctx): Promise<unknown> {
  if (bot.webhook.active) throw new ApiError(409, WEBHOOK_CONFLICT);
  const offset = params.int('offset') ?? 0;
  const limit = Math.min(100, Math.max(1, params.int('limit') ?? 100));
  const timeout = Math.min(MAX_POLL_SECONDS, Math.max(0, params.int('timeout') ?? 0));
  const allowed = readAllowedUpdates(params);
  if (allowed !== undefined) bot.queue.allowed = allowed;

  // Only one poller per bot: the newcomer wins and the earlier request gets a 409.
  bot.poll?.abort(new ApiError(409, TERMINATED));
  const mine = new AbortController();
  bot.poll = mine;
  const deadline = Date.now() + timeout * 1000;
  try {
    for (;;) {
      if (mine.signal.aborted) throw mine.signal.reason;
      if (gone.aborted) return [];
      const updates = bot.queue.take(offset, limit);
      if (updates.length > 0 || Date.now() >= deadline || bot.sandbox.closed) return updates;
      // Sleeps until something changes for this bot (new update, termination, shutdown, timeout).
      await bot.changed.wait(deadline - Date.now(), mine.signal, gone, bot.sandbox.closeSignal);
    }
  } finally {
    if (bot.poll === mine) bot.poll = null;
  }
}

function setWebhook({ bot, params }: Ctx): Described {
  const url = params.str('url') ?? '';
  if (url === '') return deleteWebhook({ bot, params } as Ctx);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
  }
  // Telegram insists on HTTPS; the sandbox lives on loopback, so plain HTTP is accepted too.
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw badRequest('bad webhook: HTTPS url must be provided for webhook');
  }
  const secret = params.str('secret_token');
  if (secret !== undefined && secret !== '' && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
    throw badRequest('secret token contains unallowed characters');
  }
  const maxConnections = params.int('max_connections') ?? 40;
  if (maxConnections < 1 || maxConnections > 100) throw badRequest('bad max_connections specified');
  const allowed = readAllowedUpdates(params);
  if (allowed !== undefined) bot.queue.allowed = allowed;
  if (params.bool('drop_pending_updates')) bot.queue.clear();
  const already = bot.webhook.url === url;
  bot.poll?.abort(new ApiError(409, WEBHOOK_CONFLICT));
  bot.webhook.set(url, secret || undefined, maxConnections);
  return new Described(true, already ? 'Webhook is already set' : 'Webhook was set');
}

function deleteWebhook({ bot, params }: Ctx): Described {
  const wasActive = bot.webhook.active;
  bot.webhook.delete();
  if (params.bool('drop_pending_updates')) bot.queue.clear();
  return new Described(true, wasActive ? 'Webhook was deleted' : 'Webhook is already deleted');
}

function getWebhookInfo({ bot }: Ctx): Json {
  const w = bot.webhook;
  return compact({
    url: w.url,
    has_custom_certificate: false,
    pending_update_count: bot.queue.pendingCount,
    last_error_date: w.lastErrorDate,
    last_error_message: w.lastErrorMessage,
    max_connections: w.active ? w.maxConnections : undefined,
    allowed_updates: bot.queue.allowed ?? undefined,
  });
}

function commandsKey(params: Params): string {
  return `${JSON.stringify(params.json<Json>('scope') ?? { type: 'default' })}|${params.str('language_code') ?? ''}`;
}

/** Every command list the bot set, with its scope and language (`''` for all languages). */
export function commandSets(bot: BotState): Array<{ scope: Json; language_code: string; commands: Json[] }> {
  return [...bot.commands].map(([key, commands]) => {
    const bar = key.lastIndexOf('|');
    return { scope: JSON.parse(key.slice(0, bar)) as Json, language_code: key.slice(bar + 1), commands };
  });
}

/**
 * The commands a user sees in a private chat, chosen the way Telegram documents it (BotCommandScope, "Determining
 * list of commands"): chat scope with the user's language, chat scope, all_private_chats with language, without,
 * default with language, default.
 */
export function commandsFor(bot: BotState, chatId: number | undefined, languageCode: string | undefined): Json[] {
  const sets = commandSets(bot);
  const find = (match: (scope: Json) => boolean, lang: string): Json[] | undefined =>
    sets.find((s) => match(s.scope) && s.language_code === lang)?.commands;
  const scopes: Array<(scope: Json) => boolean> = [
    (s) => s.type === 'chat' && chatId !== undefined && String(s.chat_id) === String(chatId),
    (s) => s.type === 'all_private_chats',
    (s) => s.type === 'default',
  ];
  for (const match of scopes) {
    const found = (languageCode ? find(match, languageCode) : undefined) ?? find(match, '');
    if (found) return found;
  }
  return [];
}

function setMyCommands({ bot, params }: Ctx): boolean {
  const commands = params.json<unknown>('commands');
  if (!Array.isArray(commands)) throw badRequest("can't parse commands JSON array");
  if (commands.length > 100) throw badRequest('BOT_COMMANDS_TOO_MUCH');
  const clean = commands.map((c: Json) => {
    if (typeof c?.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
    const d = c.description;
    if (typeof d !== 'string' || d.length < 1 || d.length > 256) throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    return { command: c.command, description: d };
  });
  bot.commands.set(commandsKey(params), clean);
  bot.emit({ type: 'commands' });
  return true;
}

export const coreMethods: Record<string, Handler> = {
  getMe: ({ bot }) => bot.me,
  getUpdates,
  setWebhook,
  deleteWebhook,
  getWebhookInfo,
  setMyCommands,
  getMyCommands: ({ bot, params }) => bot.commands.get(commandsKey(params)) ?? [],
  deleteMyCommands: ({ bot, params }) => {
    if (bot.commands.delete(commandsKey(params))) bot.emit({ type: 'commands' });
    return true;
  },
  // Meaningful only on the real cloud/local server split; accepting them keeps bots happy.
  close: () => true,
  logOut: () => true,
};
