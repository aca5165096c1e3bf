import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { freePort } from './own-redis';
import { waitFor } from './wait';

const run = promisify(execFile);

/**
 * A throw-away Redis Cluster of the test's own: `masters` redis-server processes with `--cluster-enabled yes` on free
 * ports, each in a folder of its own (AOF on, as production), joined by `redis-cli --cluster create`. Never the
 * shared Redis. `destroy()` kills them and removes the folders; a process exit does too, even after a failure.
 */
export class OwnRedisCluster {
  private static readonly live = new Set<OwnRedisCluster>();

  private constructor(
    readonly ports: number[],
    private readonly children: ChildProcess[],
    private readonly dir: string,
    private readonly password?: string,
  ) {}

  /** `host:port,…`: what REDIS_CLUSTER_NODES takes. */
  get nodes(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** `password`: every node requires it (`requirepass`, and `masterauth` for the cluster's own links). */
  static async start(masters = 3, opts: { password?: string } = {}): Promise<OwnRedisCluster> {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-cluster-'));
    const ports: number[] = [];
    while (ports.length < masters) {
      const port = await freePort();
      // Each node also listens on port + 10000 (the cluster bus): both must be free and distinct.
      if (port < 55_000 && !ports.includes(port) && !ports.some((p) => Math.abs(p - port) === 10_000)) ports.push(port);
    }
    const children = ports.map((port) => {
      const nodeDir = path.join(dir, String(port));
      mkdirSync(nodeDir);
      return spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000',
          '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--dir', nodeDir,
          ...(opts.password ? ['--requirepass', opts.password, '--masterauth', opts.password] : [])],
        { stdio: 'ignore' },
      );
    });
    const own = new OwnRedisCluster(ports, children, dir, opts.password);
    const auth = opts.password ? ['--no-auth-warning', '-a', opts.password] : [];
    OwnRedisCluster.live.add(own);
    try {
      for (const port of ports) {
        await waitFor(async () => (await run('redis-cli', [...auth, '-p', String(port), 'ping']).then((r) => r.stdout.trim(), () => '')) === 'PONG', `cluster node ${port}`, 30_000);
      }
      await run('redis-cli', [...auth, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
      for (const port of ports) {
        await waitFor(async () => /cluster_state:ok/.test(await run('redis-cli', [...auth, '-p', String(port), 'cluster', 'info']).then((r) => r.stdout, () => '')), `cluster state ok on ${port}`, 30_000);
      }
    } catch (err) {
      await own.destroy();
      throw err;
    }
    return own;
  }

  /**
   * How the keys matching `pattern` (a SCAN MATCH pattern) spread over the masters: keys per master (host:port →
   * count). What a scale-out promises: no master holds (nearly) all of them.
   */
  async spread(pattern: string): Promise<Record<string, number>> {
    const client = new Cluster(this.ports.map((port) => ({ host: '127.0.0.1', port })), { lazyConnect: true, redisOptions: { password: this.password } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const out: Record<string, number> = {};
      for (const node of client.nodes('master')) {
        let cursor = '0';
        let count = 0;
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          count += keys.length;
        } while (cursor !== '0');
        out[`${node.options.host}:${node.options.port}`] = count;
      }
      return out;
    } finally {
      client.disconnect();
    }
  }

  async destroy(): Promise<void> {
    OwnRedisCluster.live.delete(this);
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  static {
    // A run that dies (an uncaught error, a failed assertion in a before hook) still leaves no server behind.
    process.once('exit', () => {
      for (const own of OwnRedisCluster.live) {
        for (const child of own.children) child.kill('SIGKILL');
        rmSync(own.dir, { recursive: true, force: true });
      }
    });
  }
}
