import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './wait';

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A throw-away redis-server of the test's own, on another port (never the shared one): safe to kill. */
export class OwnRedis {
  private constructor(
    readonly port: number,
    private child: ChildProcess,
    /** With an append-only file: its folder (a restart replays it). */
    private readonly dir?: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `aof`: keep an append-only file (fsync every second, as production does) in a folder of its own. */
  static async start(opts: { aof?: boolean } = {}): Promise<OwnRedis> {
    const port = await freePort();
    const dir = opts.aof ? mkdtempSync(path.join(tmpdir(), 'switchyard-redis-')) : undefined;
    const own = new OwnRedis(port, OwnRedis.spawn(port, dir), dir);
    await own.ready();
    return own;
  }

  private static spawn(port: number, dir: string | undefined): ChildProcess {
    const persistence = dir ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir] : ['--appendonly', 'no'];
    return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' });
  }

  private async ready(): Promise<void> {
    const port = this.port;
    await waitFor(async () => {
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    }, `redis-server on port ${port}`, 30_000);
  }

  /** Starts it again on the same port (after kill()): with an append-only file, what it holds is replayed. */
  async restart(): Promise<void> {
    this.child = OwnRedis.spawn(this.port, this.dir);
    await this.ready();
  }

  /** Kills it and removes its folder. */
  async destroy(): Promise<void> {
    await this.kill();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
