import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import multer from 'multer';

/** One request as the server saw it: headers, form fields and the uploaded file. */
export interface SpeechRequest {
  /** When it arrived (ms since the epoch): retries are spaced by the backoff. */
  at: number;
  path: string;
  authorization?: string;
  fields: Record<string, string>;
  file?: { field: string; name: string; type: string; bytes: Buffer };
}

export type SpeechAnswer =
  | { status: number; json?: unknown; body?: string }
  /** Never answer (the client's timeout must fire). */
  | 'hang';

/**
 * A local OpenAI-compatible transcription server (`POST /v1/audio/transcriptions`, multipart in, JSON out), as
 * OpenAI documents it: tests script its answers one request at a time and read what it received.
 */
export class SpeechServer {
  readonly requests: SpeechRequest[] = [];
  /** Answers in order; when they run out, `fallback` answers. */
  answers: SpeechAnswer[] = [];
  fallback: SpeechAnswer = { status: 200, json: { text: 'hello from the speech server' } };
  private hanging: Array<() => void> = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<SpeechServer> {
    const app = express();
    const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 30 * 1024 * 1024 } });
    let self: SpeechServer | undefined;
    app.post('/v1/audio/transcriptions', upload.any(), (req, res) => {
      const files = (req.files as Express.Multer.File[] | undefined) ?? [];
      const f = files[0];
      self!.requests.push({
        at: Date.now(),
        path: req.path,
        authorization: req.headers.authorization,
        fields: { ...(req.body as Record<string, string>) },
        file: f && { field: f.fieldname, name: f.originalname, type: f.mimetype, bytes: f.buffer },
      });
      const answer = self!.answers.shift() ?? self!.fallback;
      if (answer === 'hang') {
        self!.hanging.push(() => res.destroy());
        return;
      }
      if (answer.json !== undefined) res.status(answer.status).json(answer.json);
      else res.status(answer.status).type('text/plain').send(answer.body ?? '');
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    self = new SpeechServer(server);
    return self;
  }

  /** The base URL to configure (ends in /v1, as TRANSCRIPT_API_URL does). */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    for (const drop of this.hanging.splice(0)) drop();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
