import type { Request, Response } from 'express';
import { sendApiError } from './bot-api.routes';
import { TOKEN_RE, type ChatEvent, type Sandbox } from './sandbox.state';
import { ApiError } from './sandbox.util';

/**
 * Server-Sent Events for the web chat: `GET /sandbox/<token>/events[?chat_id=N]` and `GET
 * /sandbox/<token>/chats/<chatId>/events`. Each event is `event: <type>` + `data: <JSON ChatEvent>`; a `ready` event
 * opens every stream (a reconnecting page reloads what it shows then), a comment line every HEARTBEAT_MS keeps proxies
 * and idle timeouts from closing it, and `retry:` asks EventSource to reconnect after a second.
 */

export const HEARTBEAT_MS = 15_000;

function wanted(event: ChatEvent, chatId: number | undefined): boolean {
  return chatId === undefined || !('chat_id' in event) || event.chat_id === chatId;
}

export function eventStream(sandbox: Sandbox, chatParam: 'query' | 'path') {
  return (req: Request, res: Response): void => {
    try {
      const token = String(req.params.token);
      if (!TOKEN_RE.test(token)) throw new ApiError(401, 'Unauthorized');
      const raw = chatParam === 'path' ? req.params.chatId : req.query.chat_id;
      const chatId = raw === undefined || raw === '' ? undefined : Number(raw);
      if (chatId !== undefined && !Number.isInteger(chatId)) throw new ApiError(400, 'chat_id must be an integer');
      const bot = sandbox.bot(token);
      const send = (event: ChatEvent | { type: 'ready' }): void => {
        res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      };
      const stop = bot.listen((event) => {
        if (wanted(event, chatId)) send(event);
      });
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 1000\n\n');
      send({ type: 'ready' });
      const heartbeat = setInterval(() => res.write(`: heartbeat ${Date.now()}\n\n`), HEARTBEAT_MS);
      heartbeat.unref();
      const end = (): void => {
        clearInterval(heartbeat);
        stop();
        sandbox.closeSignal.removeEventListener('abort', end);
        if (!res.writableEnded) res.end();
      };
      sandbox.closeSignal.addEventListener('abort', end, { once: true });
      res.on('close', end);
    } catch (err) {
      sendApiError(res, err);
    }
  };
}
