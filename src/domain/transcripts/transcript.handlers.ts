import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DelayedError } from 'bullmq';
import { AudioRefusedError, toWav, type AudioRefusal } from '../../adapters/audio';
import type { SpeechEngine } from '../../adapters/speech';
import { FileTooLargeError, TelegramBadRequestError } from '../../adapters/telegram.client';
import type { Handler, HandlerMap, JobContext, WorkerDeps } from '../../jobs/handler.types';
import type { Actor } from '../../jobs/payloads';
import { isHandedBack, isLastTry } from '../../jobs/failures';
import { effect } from '../../jobs/outbox';
import { runPaid, tellIfFinalFailure, waitForTwin, WorkRefusedError } from '../billing/paid-work';
import { translate } from '../i18n/messages';
import { CALLBACK, numberedActions, topupButton } from '../keyboards';
import { Progress } from '../notifications/progress';
import { reply } from '../reply';
import { declaredAudioRefusal, formatDuration, MAX_AUDIO_BYTES, paidMinutes } from './intake';

/** How many transcripts `/transcripts` lists. */
export const TRANSCRIPTS_LISTED = 10;
/** Scratch folders of transcript jobs: `<tmp>/switchyard-transcript-XXXXXX`, removed after each try. */
export const WORK_DIR_PREFIX = 'switchyard-transcript-';
/** Decoders disagree by a fraction of a second on a recording's length: this much past the paid minutes is kept. */
const SLACK_SECONDS = 2;
/** A chat action shows for about 5 s: repeated while the engine works. */
const ACTION_EVERY_MS = 4_500;

type Told = { key: AudioRefusal | 'transcript.failed'; params?: Record<string, string> };

/**
 * Transcripts queue. A voice, audio, video note or audio file becomes text, paid per started minute under a hold:
 * what Telegram declared is checked first (length, size), the price is held before the download, the engine's text
 * is stored encrypted, then the price is captured and the text sent (`message.send` reads it from the database).
 * A recording that cannot be transcribed gets its reason and the coins back; the engine down or slow is retried.
 */
export function transcriptHandlers(deps: WorkerDeps, createEngine: () => SpeechEngine): HandlerMap<'transcripts'> {
  const { config, telegram, transcripts, holds, enqueue } = deps;
  // Built on first use: the handler table is built in every worker process, also where this queue does not run.
  let built: SpeechEngine | undefined;
  const engineOf = () => (built ??= createEngine());
  const refusalBody = (reason: AudioRefusal): Told => ({ key: reason, params: { max: formatDuration(config.TRANSCRIPT_MAX_SECONDS) } });

  /** Downloads the file into `dir` and converts it to WAV, keeping at most `limitSeconds`. */
  const prepare = async (fileId: string, dir: string, limitSeconds: number, signal: AbortSignal) => {
    let bytes: Buffer;
    try {
      bytes = await telegram.download(fileId, MAX_AUDIO_BYTES, signal);
    } catch (err) {
      // Ours (counted while downloading) or Telegram's (getFile refuses files over 20 MB).
      if (err instanceof FileTooLargeError || (err instanceof TelegramBadRequestError && /file is too big/i.test(err.message))) {
        throw new AudioRefusedError('transcript.too_large');
      }
      throw err;
    }
    const input = path.join(dir, 'input');
    await writeFile(input, bytes);
    const wavPath = path.join(dir, 'audio.wav');
    const seconds = await toWav(config.FFMPEG_BIN, { path: input, head: bytes.subarray(0, 64) }, wavPath, limitSeconds, signal);
    return { wavPath, seconds };
  };

  /** The reply carrying a stored transcript (read and decrypted when it is sent), under its header. */
  const transcriptDelivery = (ctx: JobContext, actor: Actor, updateId: number | undefined, transcriptId: number, header: string, seconds: number) =>
    effect(
      'message.send',
      { chatId: actor.chatId, updateId, lang: ctx.user!.language, transcript: { transcriptId }, template: { key: header, params: { duration: formatDuration(seconds) } } },
      `reply-${updateId ?? ctx.job.id}`,
    );
  /** From storage (free): nothing to commit with, queued directly. */
  const sendTranscript = (ctx: JobContext, actor: Actor, updateId: number | undefined, transcriptId: number, header: string, seconds: number) => {
    const e = transcriptDelivery(ctx, actor, updateId, transcriptId, header, seconds);
    return enqueue(e.name, e.payload as never, { jobId: e.jobId });
  };

  const createTranscript: Handler<'transcript.create'> = async ({ actor, updateId, messageId, fileId, fileUniqueId, fileSize, duration }, ctx) => {
    const user = ctx.user!;
    const maxSeconds = config.TRANSCRIPT_MAX_SECONDS;
    const declared = declaredAudioRefusal({ fileSize, duration }, maxSeconds);
    if (declared) {
      await reply(enqueue, ctx, actor, updateId, refusalBody(declared));
      return { refused: declared };
    }
    const key = `transcript:${actor.chatId}:${messageId}`;
    // The same recording (forwarded again, sent twice) transcribed before by this engine: sent again from storage,
    // free — nothing held, downloaded or run. (Not for a retry of a request that holds: it goes on below.)
    const [before, holding] = await Promise.all([transcripts.findBySource(user.id, fileUniqueId, config.TRANSCRIPT_ENGINE), holds.find(key)]);
    if (before && !holding) {
      await sendTranscript(ctx, actor, updateId, before.id, 'transcript.header.again', before.durationSeconds);
      return { transcriptId: before.id, fromStorage: true };
    }
    // The same recording sent twice at once: while the first holds its price, this one waits for it, then is answered
    // from storage above. (A file that declares no length is held only after its download: a twin arriving before
    // that downloads too, and waits at the hold.) The hold's unique source closes the race between the two checks.
    const twinPaying = () => holds.busy(user.id, 'transcript', fileUniqueId, key);
    if (!holding && (await twinPaying())) return waitForTwin(deps, ctx, 'transcript');
    const progress = new Progress(deps, actor.chatId, user.language, ctx.job.id!);
    let started = false;
    const tell = (body: Told) => (started ? progress.update(body.key, body.params) : reply(enqueue, ctx, actor, updateId, body));
    // This try's bound (TRANSCRIPT_TIMEOUT_SECONDS) and the worker's shutdown both stop ffmpeg and the engine.
    const bound = AbortSignal.any([AbortSignal.timeout(config.TRANSCRIPT_TIMEOUT_SECONDS * 1000), ...(ctx.signal ? [ctx.signal] : [])]);
    const dir = await mkdtemp(path.join(tmpdir(), WORK_DIR_PREFIX));
    let typing: NodeJS.Timeout | undefined;
    try {
      let audio: { wavPath: string; seconds: number } | undefined;
      // A file declares no length, and files and bots' voices often declare 0: the real length is learnt by
      // downloading and decoding it first (free), then the price is held.
      let seconds = duration || undefined;
      // A retry of such a request that stored its transcript already (then failed, or died) needs no download.
      const [made, held] = seconds === undefined ? await Promise.all([transcripts.findByRequest(key), holds.find(key)]) : [];
      if (made) seconds = made.durationSeconds;
      if (seconds === undefined) {
        // Not for a user who cannot pay even one minute: they get the top-up prompt, and nothing is downloaded. (A
        // retry whose coins are held already is not asked again: the hold took them.)
        const balance = held ? Infinity : await deps.ledger.balance(user.id);
        // Too few coins because a twin of this recording just held them: wait for it instead (then free).
        if (balance < config.PRICE_TRANSCRIPT_PER_MINUTE && (await twinPaying())) return waitForTwin(deps, ctx, 'transcript');
        if (balance < config.PRICE_TRANSCRIPT_PER_MINUTE) {
          await reply(enqueue, ctx, actor, updateId, {
            key: 'billing.insufficient',
            params: { service: translate(user.language, 'service.transcript'), price: String(config.PRICE_TRANSCRIPT_PER_MINUTE), balance: String(balance) },
            replyMarkup: topupButton(user.language),
          });
          return { status: 'insufficient', balance };
        }
        try {
          audio = await prepare(fileId, dir, maxSeconds + 1, bound);
        } catch (err) {
          if (!(err instanceof AudioRefusedError)) throw err;
          await tell(refusalBody(err.reason));
          return { refused: err.reason };
        }
        if (audio.seconds > maxSeconds) {
          await tell(refusalBody('transcript.too_long'));
          return { refused: 'transcript.too_long' };
        }
        seconds = audio.seconds;
      }
      const minutes = paidMinutes(seconds);
      const amount = minutes * config.PRICE_TRANSCRIPT_PER_MINUTE;
      const shown = formatDuration(seconds);
      const outcome = await runPaid(
        deps, ctx, actor, updateId,
        { service: 'transcript', key, amount, source: fileUniqueId },
        async (resumed) => {
          // A re-run (a retry, a worker that died, perhaps after the capture) finds what an earlier run stored.
          const made = resumed ? await transcripts.findByRequest(key) : undefined;
          if (made) return made.id;
          await progress.start('transcript.working', { duration: shown });
          started = true;
          await progress.action('typing');
          typing = setInterval(() => void progress.action('typing'), ACTION_EVERY_MS);
          try {
            // What is transcribed is what was paid for: a file longer than it declared is cut there.
            audio ??= await prepare(fileId, dir, minutes * 60 + SLACK_SECONDS, bound);
            const engine = engineOf();
            const began = process.hrtime.bigint();
            const result = await engine.transcribe({ wavPath: audio.wavPath, seconds: audio.seconds, language: user.language, signal: bound, workDir: dir });
            deps.metrics.observe('switchyard_transcript_engine_seconds', { engine: engine.name }, Number(process.hrtime.bigint() - began) / 1e9);
            deps.metrics.observe('switchyard_transcript_audio_seconds', { engine: engine.name }, audio.seconds);
            if (!result.text.trim()) throw new WorkRefusedError('transcript.no_speech');
            return await transcripts.save({
              userId: user.id, requestKey: key, sourceUniqueId: fileUniqueId, durationSeconds: audio.seconds,
              engine: engine.name, language: result.language, cost: amount, text: result.text.trim(),
            });
          } catch (err) {
            if (err instanceof AudioRefusedError) throw new WorkRefusedError(err.reason);
            throw err;
          } finally {
            clearInterval(typing);
          }
        },
        (transcriptId) => [transcriptDelivery(ctx, actor, updateId, transcriptId, 'transcript.header', seconds!)],
        async () => {
          if (started) await progress.update('transcript.working.done', { duration: shown, price: String(amount) });
        },
      );
      if (outcome.status === 'refused') {
        // The "transcribing…" message becomes the reason: one message per refused request.
        await tell(refusalBody(outcome.reason as AudioRefusal));
        return { refused: outcome.reason };
      }
      if (outcome.status === 'done') return { transcriptId: outcome.result, seconds, charged: amount };
      return outcome;
    } catch (err) {
      await tellIfFinalFailure(deps, ctx, err, { service: 'transcript', key }, () => tell({ key: 'transcript.failed' }));
      throw err;
    } finally {
      clearInterval(typing);
      await rm(dir, { recursive: true, force: true });
    }
  };

  return {
    'transcript.create': async (payload, ctx) => {
      // Outcomes by engine for the dashboard: done, a refusal's reason, or failed for good.
      const engine = config.TRANSCRIPT_ENGINE;
      const count = (outcome: string) => deps.metrics.inc('switchyard_transcripts_total', { engine, outcome });
      try {
        const result = (await createTranscript(payload, ctx)) as { refused?: string; transcriptId?: number; fromStorage?: boolean };
        if (result.refused) count(result.refused.replace('transcript.', ''));
        else if (result.transcriptId !== undefined) count(result.fromStorage ? 'from_storage' : 'done');
        return result;
      } catch (err) {
        if (!isHandedBack(ctx) && !(err instanceof DelayedError) && isLastTry(err, ctx.job)) count('failed');
        throw err;
      }
    },

    'transcripts.list': async ({ actor, updateId }, ctx) => {
      const user = ctx.user!;
      const lang = user.language;
      const list = await transcripts.list(user.id, TRANSCRIPTS_LISTED);
      if (list.length === 0) {
        await reply(enqueue, ctx, actor, updateId, { key: 'transcripts.none' });
        return { transcripts: 0 };
      }
      const lines = list
        .map((t, i) => `${i + 1}. ${formatDuration(t.durationSeconds)} · ${t.createdAt.toISOString().slice(0, 16).replace('T', ' ')} · ${t.language ?? '?'} · ${t.engine}`)
        .join('\n');
      const keyboard = numberedActions(lang, list.map((t) => t.id), [['button.transcript.show', CALLBACK.transcriptShow], ['button.transcript.delete', CALLBACK.transcriptDelete]]);
      await reply(enqueue, ctx, actor, updateId, { key: 'transcripts.list', params: { lines }, replyMarkup: keyboard });
      return { transcripts: list.length };
    },

    'transcript.show': async ({ actor, updateId, transcriptId }, ctx) => {
      const user = ctx.user!;
      const found = await transcripts.get(user.id, transcriptId);
      if (!found) {
        await reply(enqueue, ctx, actor, updateId, { key: 'transcripts.gone' });
        return { shown: false };
      }
      await sendTranscript(ctx, actor, updateId, transcriptId, 'transcript.header', found.durationSeconds);
      return { shown: true };
    },

    'transcript.delete': async ({ actor, updateId, transcriptId }, ctx) => {
      const ok = await transcripts.delete(ctx.user!.id, transcriptId);
      await reply(enqueue, ctx, actor, updateId, { key: ok ? 'transcripts.deleted' : 'transcripts.gone' });
      return { deleted: ok };
    },

    'transcripts.reencrypt': async ({ batch }, ctx) => {
      let reencrypted = 0;
      for (let n = await transcripts.reencryptBatch(batch); n > 0; n = await transcripts.reencryptBatch(batch)) {
        reencrypted += n;
        await ctx.job.updateProgress({ reencrypted });
      }
      // Rows another replica holds are skipped: whatever is left is counted, and a later run takes it. Rows under
      // keys no longer listed cannot be opened: named (by key id) for the operator, not retried.
      const left = await transcripts.countStale();
      const unreadable = await transcripts.unreadableByKey();
      if (Object.keys(unreadable).length) ctx.log.warn('transcripts sealed with keys not in ENCRYPTION_KEY: add those keys back to read them', { unreadable });
      ctx.log.info('transcripts re-encrypted', { reencrypted, left });
      return { reencrypted, left, unreadable };
    },
  };
}
