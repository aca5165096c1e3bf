import { readFileSync } from 'node:fs';
import { Queue, QueueEvents } from 'bullmq';
import sharp from 'sharp';
import { createKnex } from '../src/db/knex';
import { catalogue } from '../src/jobs/catalogue';
import { connectRedis, createRedis } from '../src/lib/redis';
import { LedgerRepository } from '../src/repositories/ledger.repository';
import { startDeployment } from './deployment';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL, throughput } from './support';

// The same libvips settings as the avatars worker (src/adapters/image.ts), so the baseline is not given more threads.
sharp.concurrency(1);
sharp.cache(false);

const JOBS = Number(process.env.BENCH_AVATARS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_AVATAR_CONCURRENCY ?? 4);
const MAX_PIXELS = 40_000_000;

/** A photo-like JPEG (smooth colour, grain, EXIF orientation 6), as a camera would send it as a file. */
async function cameraJpeg(width: number, height: number): Promise<Buffer> {
  const grain = await sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 24 } } })
    .blur(1.2)
    .png({ compressionLevel: 1 })
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#6a8caf' } })
    .composite([{ input: grain, blend: 'overlay' }])
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 88 })
    .toBuffer();
}

/**
 * The baseline: sharp alone doing the avatar transform the worker does (upright, 512 attention crop, then 512, 256
 * and 128 px as WebP and JPEG), written out here with nothing of ours around it.
 */
async function rawSharp(input: Buffer): Promise<void> {
  const { data, info } = await sharp(input, { limitInputPixels: MAX_PIXELS, failOn: 'warning' })
    .rotate()
    .resize(512, 512, { fit: 'cover', position: sharp.strategy.attention })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };
  await Promise.all(
    [512, 256, 128].flatMap((size) => [
      sharp(data, { raw }).resize(size, size).webp({ quality: 85, alphaQuality: 90 }).toBuffer(),
      sharp(data, { raw }).resize(size, size).jpeg({ quality: 88, mozjpeg: true }).toBuffer(),
    ]),
  );
}

/** Peak and current resident memory of a process, from /proc (kB → MB). */
function memoryOf(pid: number): { peakMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/**
 * The avatars worker process (`--queues=avatars`, its production entry point) on the bench database, fed
 * `avatar.create` jobs for `count` users — each a new user with coins, so nothing is served from storage — that
 * all download the same source from the sandbox. After `warmup` jobs, returns jobs/s from the first add of `count` more to
 * their last completion, and the process's memory.
 */
async function throughWorker(source: Buffer, count: number, warmup: number, concurrency: number, tokenBase: number): Promise<{ perSecond: number; idleMb: number; peakMb: number }> {
  const deployment = await startDeployment(`avatars-${concurrency}`, tokenBase, [
    { script: 'workers/main.js', args: ['--queues=avatars'], env: { CONCURRENCY_AVATARS: String(concurrency), PRICE_AVATAR: '20' } },
  ]);
  const knex = createKnex(BENCH_DATABASE_URL, { max: 2 });
  const producer = await connectRedis(createRedis(BENCH_REDIS_URL, 'producer'));
  // QueueEvents blocks on Redis like a worker; BullMQ leaves the connections it is given to us to close.
  const listener = createRedis(BENCH_REDIS_URL, 'worker');
  const events = new QueueEvents('avatars', { connection: listener, prefix: deployment.prefix });
  const queue = new Queue('avatars', { connection: producer, prefix: deployment.prefix });
  try {
    const sender = await deployment.client.createUser();
    const update = (await deployment.client.sendDocument(sender.id, source, { file_name: 'IMG_0001.jpg', mime_type: 'image/jpeg' })) as unknown as {
      message: { document: { file_id: string; file_unique_id: string } };
    };
    const { file_id: fileId, file_unique_id: fileUniqueId } = update.message.document;
    const ledger = new LedgerRepository(knex);
    const base = 900_000_000 + (Date.now() % 50_000_000);
    const users = await knex('users').insert(Array.from({ length: count + warmup }, (_, i) => ({ telegram_id: base + i }))).returning(['id', 'telegram_id']);
    for (const u of users) await ledger.post({ userId: Number(u.id), kind: 'grant', amount: 1_000, idempotencyKey: `bench:avatars:${base}:${u.id}` });
    await events.waitUntilReady();
    const idleMb = memoryOf(deployment.children[0]!.pid!).rssMb;
    /** Adds one job per user and resolves with the seconds from the add to the last completion. */
    const batch = async (batchUsers: typeof users, from: number): Promise<number> => {
      let completed = 0;
      let failed = '';
      const onCompleted = () => ++completed === batchUsers.length && finish();
      const onFailed = ({ failedReason }: { failedReason: string }) => ((failed = failedReason), finish());
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      events.on('completed', onCompleted);
      events.on('failed', onFailed);
      const started = process.hrtime.bigint();
      await queue.addBulk(
        batchUsers.map((u, i) => ({
          name: 'avatar.create',
          data: { actor: { telegramId: Number(u.telegram_id), chatId: Number(u.telegram_id) }, messageId: from + i + 1, fileId, fileUniqueId, style: 'square' },
          opts: { ...catalogue['avatar.create'].options, jobId: `bench-${base}-${from + i}` },
        })),
      );
      await done;
      events.off('completed', onCompleted);
      events.off('failed', onFailed);
      if (failed) throw new Error(`avatar job failed: ${failed}`);
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    // Warm-up jobs first, as the baseline has its warm-up round: the first jobs of a fresh process pay for loading
    // libvips' modules, the JIT and the connection pools.
    if (warmup > 0) await batch(users.slice(count), count);
    const seconds = await batch(users.slice(0, count), 0);
    const { peakMb } = memoryOf(deployment.children[0]!.pid!);
    const [{ n }] = await knex('avatar_sets').whereIn('user_id', users.map((u) => u.id)).count({ n: '*' });
    if (Number(n) !== users.length) throw new Error(`${n} avatar sets stored for ${users.length} jobs`);
    return { perSecond: count / seconds, idleMb, peakMb };
  } finally {
    await queue.close();
    await events.close();
    await listener.quit();
    await producer.quit();
    await knex.destroy();
    await deployment.close();
  }
}

/**
 * Avatar jobs/s through the whole avatars worker (hold, download from the sandbox, sharp, store six variants in
 * Postgres, capture, queue the photo and the file) vs sharp alone on the same transform, both CONCURRENCY (as `CONCURRENCY_AVATARS` by default) at a
 * time. The baseline runs before and after the worker; the better of the two is the one compared.
 */
export async function benchAvatarThroughput(): Promise<{ worker: number; raw: number; ratio: number; jobs: number; megapixels: number; concurrency: number }> {
  const [width, height] = [3000, 2000];
  const source = await cameraJpeg(width, height);
  const rawRun = () => throughput(JOBS, CONCURRENCY, () => rawSharp(source));
  await rawRun(); // warm-up: libvips' first calls load its modules
  const before = await rawRun();
  const { perSecond } = await throughWorker(source, JOBS, 2 * CONCURRENCY, CONCURRENCY, 7_300_000);
  const after = await rawRun();
  const raw = Math.max(before, after);
  return { worker: perSecond, raw, ratio: perSecond / raw, jobs: JOBS, megapixels: (width * height) / 1e6, concurrency: CONCURRENCY };
}

/** Peak RSS of an avatars worker process (CONCURRENCY_AVATARS=4) making four 20 MP avatars at once. */
export async function benchAvatarMemory(): Promise<{ idleMb: number; peakMb: number; sourceMb: number }> {
  const source = await cameraJpeg(5472, 3648);
  const { idleMb, peakMb } = await throughWorker(source, 4, 0, 4, 7_400_000);
  return { idleMb, peakMb, sourceMb: source.length / 2 ** 20 };
}
