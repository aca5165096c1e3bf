// Over 250 lines: one Stack for the whole billing flow (top-up, payment, refunds, sweeps) keeps the suite fast.
import { expect } from 'chai';
import sharp from 'sharp';
import { Telegram } from 'telegraf';
import type { SandboxMessage } from '../../src/sandbox/sandbox.types';
import { Stack } from '../support/stack';
import { invoiceFor as invoiceOf, buttons, chooseStyle, downloadSent, nextMessage as nextIn } from '../support/chat';
import { waitFor } from '../support/wait';

const ADMIN = 5151;

/**
 * Billing through the whole platform: the user taps buttons and pays in the sandbox, the bot turns each action into
 * a job, the interactive worker answers from the ledger in Postgres.
 */
describe('billing: Stars top-up, refunds, paid work, cabinet', function () {
  this.timeout(30_000);
  let stack: Stack;
  before(async () => {
    stack = await Stack.start({
      // The admin sends many commands in a row here: no inbound rate limit in the way.
      env: { ADMIN_IDS: String(ADMIN), RATE_LIMIT_BURST: '1000', WELCOME_BONUS: '30', PRICE_AVATAR: '20', LOW_BALANCE_THRESHOLD: '15', TOPUP_PACKAGES: '100:50,550:250' },
      // The sandbox's per-chat pace (1 message/s) would only slow these tests down; ordering is tested elsewhere.
      limits: { enabled: false },
    });
    await stack.client.createUser({ id: ADMIN, first_name: 'Admin' });
  });
  after(() => stack?.stop());

  const client = () => stack.client;
  const registered = (lang?: string) => stack.registered(lang);
  const balanceOf = (telegramId: number) => stack.balanceOf(telegramId);
  const entriesTotalOf = async (telegramId: number) => {
    const row = await stack.knex('ledger_entries as e').join('users as u', 'u.id', 'e.user_id').where('u.telegram_id', telegramId).sum({ total: 'e.amount' }).first();
    return Number(row?.total ?? 0);
  };
  const nextMessage = (userId: number, afterId: number, match: (m: SandboxMessage) => boolean) => nextIn(client(), userId, afterId, match);
  const invoiceFor = (userId: number, packageIndex = 0) => invoiceOf(client(), userId, packageIndex);

  it('/topup offers the packages; paying one credits its coins once and thanks with the new balance', async () => {
    const user = await registered();
    await client().sendText(user.id, '/topup');
    const [, offer] = await client().waitForMessages(user.id, 2);
    expect(offer!.text).to.match(/^Choose a package/);
    expect(buttons(offer)).to.deep.equal(['topup:0', 'topup:1']);
    await client().pressButton(user.id, offer!.message_id, 'topup:1');
    const [, , invoice] = await client().waitForMessages(user.id, 3);
    expect(invoice!.invoice).to.include({ currency: 'XTR', total_amount: 250, title: '550 coins' });

    const paid = await client().payInvoice(user.id, invoice!.message_id);
    expect(paid.ok, paid.error_message).to.equal(true);
    const [, , , thanks] = await client().waitForMessages(user.id, 4);
    expect(thanks!.text).to.equal(`Thank you! 550 coins were added. Your balance: 580 coins.\nPayment id (for support): ${paid.telegram_payment_charge_id}`);

    // Telegram delivers the same successful_payment again: once with the same update id, once as a new update.
    await client().redeliver(paid.update!.update_id);
    const copy = await client().injectUpdate({ message: { ...(paid.update as { message: object }).message, message_id: 999_999 } });
    await waitFor(async () => {
      const jobs = await stack.workers!.deps.queues.get('billing').getJobs(['completed']);
      return jobs.some((j) => j.data.updateId === copy.update_id);
    }, 'the copy was handled', 10_000);
    expect(await balanceOf(user.id)).to.equal(580);
    expect(await entriesTotalOf(user.id)).to.equal(580);
    const payments = await stack.knex('payments').where({ telegram_payment_charge_id: paid.telegram_payment_charge_id });
    expect(payments).to.have.length(1);
    expect(payments[0]).to.include({ coins: 550, stars: 250, status: 'paid' });
    // One thank-you, however often the payment came in.
    expect((await client().messages(user.id)).filter((m) => m.text?.startsWith('Thank you!'))).to.have.length(1);
  });

  it('a forged or altered invoice payload, or a changed amount, is refused at pre-checkout with the reason', async () => {
    const user = await registered();
    const invoice = await invoiceFor(user.id, 0);
    const payload = invoice.invoice!.payload;
    // Coins raised from 100 to 900 in the payload: the signature no longer matches.
    const forged = await client().payInvoice(user.id, invoice.message_id, { tamper: { invoice_payload: payload.replace('.100.', '.900.') } });
    expect(forged).to.deep.include({ ok: false, error_message: 'This invoice was not issued by the bot or was altered. Please get a new one with /topup.' });
    const cheaper = await client().payInvoice(user.id, invoice.message_id, { tamper: { total_amount: 1 } });
    expect(cheaper).to.deep.include({ ok: false, error_message: 'The amount does not match the package. Please get a new invoice with /topup.' });
    expect(await stack.knex('payments').join('users', 'users.id', 'payments.user_id').where('users.telegram_id', user.id)).to.have.length(0);
    expect(await balanceOf(user.id)).to.equal(30);
    // Telegram is answered first (its 10 s), the audit row follows.
    const refusalsOf = () => stack.knex('audit_events').where({ actor: `user:${user.id}`, action: 'payment.checkout_refused' }).orderBy('id');
    await waitFor(async () => (await refusalsOf()).length >= 2, 'both refusals audited');
    const refusals = await refusalsOf();
    expect(refusals.map((r) => r.details.reason)).to.deep.equal(['forged', 'amount']);
    // The untouched invoice still goes through.
    expect((await client().payInvoice(user.id, invoice.message_id)).ok).to.equal(true);
  });

  it('a Russian speaker reads the refusal in Russian', async () => {
    const user = await registered('ru');
    const invoice = await invoiceFor(user.id, 0);
    const forged = await client().payInvoice(user.id, invoice.message_id, { tamper: { invoice_payload: 'i1.0.100.50.1.x.AAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(forged.error_message).to.equal('Этот счёт выставлен не ботом или был изменён. Получите новый через /topup.');
  });

  it('admin /refund gives the Stars back and takes the coins; twice is refused; spent coins are refused with the reason', async () => {
    const user = await registered();
    const invoice = await invoiceFor(user.id, 0);
    const paid = await client().payInvoice(user.id, invoice.message_id);
    await waitFor(async () => (await balanceOf(user.id)) === 130, 'credited');
    const adminSays = async (text: string) => {
      const before = (await client().messages(ADMIN)).length;
      await client().sendText(ADMIN, text);
      return (await client().waitForMessages(ADMIN, before + 1))[before]!.text;
    };
    expect(await adminSays(`/refund ${paid.telegram_payment_charge_id}`)).to.equal(
      `Refunded 50 ⭐ of payment ${paid.telegram_payment_charge_id} to user ${user.id}; 100 coins taken back, their balance is now 30.`,
    );
    expect(await balanceOf(user.id)).to.equal(30);
    expect(await entriesTotalOf(user.id)).to.equal(30);
    expect(await adminSays(`/refund ${paid.telegram_payment_charge_id}`)).to.equal(`Payment ${paid.telegram_payment_charge_id} was refunded already.`);
    expect(await adminSays('/refund no-such-charge')).to.equal('No payment with charge id no-such-charge.');

    // A second payment whose coins were spent (an admin took them): the refund is refused and Telegram not asked.
    const second = await client().payInvoice(user.id, (await invoiceFor(user.id, 0)).message_id);
    await waitFor(async () => (await balanceOf(user.id)) === 130, 'credited again');
    expect(await adminSays(`/grant ${user.id} -60 spent on avatars`)).to.match(/balance is now 70/);
    const refundsBefore = (await client().stats()).calls.refundStarPayment ?? 0;
    expect(await adminSays(`/refund ${second.telegram_payment_charge_id}`)).to.equal('Not refunded: the user has spent the coins (balance 70, the payment gave 100).');
    expect((await client().stats()).calls.refundStarPayment ?? 0).to.equal(refundsBefore);
    expect(await balanceOf(user.id)).to.equal(70);
    // Not an admin: refused like every admin command.
    await client().sendText(user.id, `/refund ${second.telegram_payment_charge_id}`);
    await waitFor(async () => (await client().messages(user.id)).some((m) => m.text === 'This command is for administrators only.'), 'refusal');
    expect(await balanceOf(user.id)).to.equal(70);
  });

  it('a refund Telegram refuses gives the coins back and says why', async () => {
    const user = await registered();
    const { id: userId } = await stack.user(user.id);
    // A payment Telegram does not know (recorded here directly): refundStarPayment answers 400 CHARGE_NOT_FOUND.
    await stack.workers!.deps.payments.credit({ userId, chargeId: `stx-unknown-${user.id}`, packageId: '0', currency: 'XTR', stars: 50, coins: 100 });
    expect(await balanceOf(user.id)).to.equal(130);
    await client().sendText(ADMIN, `/refund stx-unknown-${user.id}`);
    await waitFor(async () => (await client().messages(ADMIN)).some((m) => m.text?.includes(`stx-unknown-${user.id}`)), 'answer');
    const answer = (await client().messages(ADMIN)).find((m) => m.text?.includes(`stx-unknown-${user.id}`))!;
    expect(answer.text).to.match(/^Not refunded: Telegram refused the refund of stx-unknown-\d+ \(.*CHARGE_NOT_FOUND.*\)\. The coins were given back\.$/);
    expect(await balanceOf(user.id)).to.equal(130);
    expect(await entriesTotalOf(user.id)).to.equal(130);
    expect(await stack.knex('payments').where({ telegram_payment_charge_id: `stx-unknown-${user.id}` }).first()).to.include({ status: 'paid' });
  });

  it('too few coins for paid work: the top-up prompt, no hold, nothing downloaded', async () => {
    const user = await registered();
    await client().sendText(ADMIN, `/grant ${user.id} -20 test`);
    // 30 → 10 crosses the threshold (15): the user hears of it once.
    const [, notice] = await client().waitForMessages(user.id, 2);
    expect(notice!.text).to.equal('Your balance is low: 10 coins. Top up to keep using paid services.');
    expect(buttons(notice)).to.deep.equal(['topup']);
    const downloadsBefore = (await client().stats()).fileDownloads;
    const getFileBefore = (await client().stats()).calls.getFile ?? 0;
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366cc' } }).jpeg().toBuffer();
    await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, photo, { width: 300, height: 200 }));
    const [, , , prompt] = await client().waitForMessages(user.id, 4);
    expect(prompt!.text).to.equal('Not enough coins: Avatar costs 20, you have 10. Top up to continue.');
    expect(buttons(prompt)).to.deep.equal(['topup']);
    expect((await client().stats()).fileDownloads).to.equal(downloadsBefore);
    expect((await client().stats()).calls.getFile ?? 0).to.equal(getFileBefore);
    expect(await stack.knex('holds').join('users', 'users.id', 'holds.user_id').where('users.telegram_id', user.id)).to.have.length(0);
    // The button leads to the packages.
    await client().pressButton(user.id, prompt!.message_id, 'topup');
    const [, , , , offer] = await client().waitForMessages(user.id, 5);
    expect(buttons(offer)).to.deep.equal(['topup:0', 'topup:1']);
  });

  it('paid work with enough coins: held, made, sent, captured; /usage and the low-balance notice (once per crossing)', async () => {
    const user = await registered();
    const photo = async (background: string) =>
      sharp({ create: { width: 600, height: 400, channels: 3, background } }).withMetadata({ exif: { IFD0: { Copyright: 'someone' } } }).jpeg().toBuffer();
    const first = await photo('#cc3366');
    await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, first, { width: 600, height: 400 }));
    // 30 − 20 = 10 < 15: the capture makes the crossing real → one notice, after the avatar.
    const notice = await nextMessage(user.id, 0, (m) => !!m.text?.startsWith('Your balance is low'));
    expect(notice.text).to.equal('Your balance is low: 10 coins. Top up to keep using paid services.');
    const sent = await nextMessage(user.id, 0, (m) => !!m.photo);
    expect(sent.caption).to.equal('Your avatar is ready: 20 coins were charged.');
    const telegram = new Telegram(stack.config.BOT_TOKEN!, { apiRoot: stack.config.TELEGRAM_API_ROOT });
    const meta = await sharp(await downloadSent(telegram, sent)).metadata();
    expect(meta).to.include({ width: 512, height: 512, format: 'jpeg' });
    expect(meta.exif).to.equal(undefined);

    const hold = await stack.knex('holds').join('users', 'users.id', 'holds.user_id').where('users.telegram_id', user.id).first('holds.*');
    expect(hold).to.include({ status: 'captured', amount: 20, service: 'avatar' });
    expect(await balanceOf(user.id)).to.equal(10);
    expect(await entriesTotalOf(user.id)).to.equal(10);

    let last = (await client().messages(user.id)).at(-1)!.message_id;
    await client().sendText(user.id, '/usage');
    expect((await nextMessage(user.id, last, (m) => !!m.text?.startsWith('Paid services'))).text).to.equal(
      'Paid services you used:\nAvatar: 1 × — 20 coins\nSpent in total: 20 coins.',
    );
    // Back above the threshold and below again: a second notice; staying below: none.
    await client().sendText(ADMIN, `/grant ${user.id} 30 back up`);
    await waitFor(async () => (await balanceOf(user.id)) === 40, 'balance 40');
    for (const background of ['#33cc66', '#6633cc']) {
      last = (await client().messages(user.id)).at(-1)!.message_id;
      const other = await photo(background);
      await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, other, { width: 600, height: 400 }));
      await nextMessage(user.id, last, (m) => !!m.photo);
    }
    await waitFor(async () => (await balanceOf(user.id)) === 0, 'balance 0');
    await waitFor(async () => (await client().messages(user.id)).filter((m) => m.text?.startsWith('Your balance is low')).length === 2, 'second notice');
    await new Promise((r) => setTimeout(r, 300));
    const all = await client().messages(user.id);
    expect(all.filter((m) => m.text?.startsWith('Your balance is low')).map((m) => m.text)).to.deep.equal([
      'Your balance is low: 10 coins. Top up to keep using paid services.',
      'Your balance is low: 0 coins. Top up to keep using paid services.',
    ]);
    expect(all.filter((m) => m.photo)).to.have.length(3);
  });

  it('a photo that is not an image gets its reason and the coins back, without a retry', async () => {
    const user = await registered();
    await chooseStyle(client(), user.id, () => client().sendPhoto(user.id, Buffer.from('this is not a jpeg at all'), { width: 640, height: 480 }));
    // The "working…" message becomes the reason.
    const reason = 'I could not read this as an image. Please send a JPEG or PNG photo. You were not charged.';
    await waitFor(async () => (await client().messages(user.id)).some((m) => m.text === reason), 'the reason');
    const hold = await stack.knex('holds').join('users', 'users.id', 'holds.user_id').where('users.telegram_id', user.id).first('holds.*');
    expect(hold.status).to.equal('released');
    expect(await balanceOf(user.id)).to.equal(30);
    const finished = async () =>
      (await stack.workers!.deps.queues.get('avatars').getJobs(['completed', 'failed'])).filter((j) => j.name === 'avatar.create' && j.data.actor.telegramId === user.id);
    await waitFor(async () => (await finished()).length > 0, 'the job finished');
    const mine = await finished();
    expect(mine.map((j) => [j.attemptsMade, j.failedReason ?? null])).to.deep.equal([[1, null]]);
  });

  it('paid work whose worker died JOB_MAX_STALLS times ends with the coins back and the user told, not in silence', async () => {
    const user = await registered();
    const avatars = stack.workers!.deps.queues.get('avatars');
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#446688' } }).jpeg().toBuffer();
    await client().sendPhoto(user.id, photo, { width: 300, height: 200 });
    const offer = await nextMessage(user.id, 0, (m) => buttons(m).some((b) => b.startsWith('avatar:style:')));
    await avatars.pause();
    try {
      await client().pressButton(user.id, offer.message_id, buttons(offer).find((b) => b.endsWith(':square'))!);
      let job: Awaited<ReturnType<typeof avatars.getJobs>>[number] | undefined;
      await waitFor(async () => (job = (await avatars.getJobs(['waiting'])).find((j) => j.data.actor.telegramId === user.id)) !== undefined, 'the avatar job queued');
      // As BullMQ leaves a job whose worker was killed JOB_MAX_STALLS (5) times: one more death would fail it silently.
      await stack.redis.hset(`${job!.queueQualifiedName}:${job!.id}`, 'stc', String(stack.config.JOB_MAX_STALLS));
    } finally {
      await avatars.resume();
    }
    const told = 'Something went wrong while making your avatar. You were not charged; please try again later.';
    await waitFor(async () => (await client().messages(user.id)).some((m) => m.text === told), 'the user told');
    const hold = await stack.knex('holds').join('users', 'users.id', 'holds.user_id').where('users.telegram_id', user.id).first('holds.*');
    expect(hold.status).to.equal('released');
    expect(await balanceOf(user.id)).to.equal(30);
    await waitFor(async () => (await avatars.getJobs(['failed'])).some((j) => j.data.actor.telegramId === user.id && /JOB_MAX_STALLS/.test(j.failedReason)), 'the job failed for good, saying why');
  });

  it('a photo over Telegram’s 20 MB download limit is refused before any hold or download', async () => {
    const user = await registered();
    const getFileBefore = (await client().stats()).calls.getFile ?? 0;
    const photo = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000' } }).jpeg().toBuffer();
    // Refused from Telegram's declaration: no style is offered, nothing is held or downloaded.
    await client().sendPhoto(user.id, photo, { width: 100, height: 100, declared_size: 25 * 1024 * 1024 });
    const [, reply] = await client().waitForMessages(user.id, 2);
    expect(buttons(reply)).to.deep.equal([]);
    expect(reply!.text).to.equal('This image is too large (files up to 20 MB, up to 40 megapixels). You were not charged.');
    expect((await client().stats()).calls.getFile ?? 0).to.equal(getFileBefore);
    expect(await stack.knex('holds').join('users', 'users.id', 'holds.user_id').where('users.telegram_id', user.id)).to.have.length(0);
    expect(await balanceOf(user.id)).to.equal(30);
  });

  it('/history pages with inline buttons, newest first; the page is edited in place', async () => {
    const user = await registered();
    for (let i = 1; i <= 12; i++) await client().sendText(ADMIN, `/grant ${user.id} ${i} gift ${i}`);
    await waitFor(async () => (await balanceOf(user.id)) === 30 + 78, 'grants', 15_000);
    await client().sendText(user.id, '/history');
    const [, page1] = await client().waitForMessages(user.id, 2);
    const lines1 = page1!.text!.split('\n');
    expect(lines1[0]).to.equal('Your coins, newest first (page 1):');
    expect(lines1.slice(1)).to.have.length(10);
    // Newest first: the amounts are the ledger's, in descending id order (the grants ran on parallel workers).
    const newest = await stack.knex('ledger_entries as e').join('users as u', 'u.id', 'e.user_id').where('u.telegram_id', user.id).orderBy('e.id', 'desc').limit(10).pluck('e.amount');
    expect(lines1.slice(1).map((l) => Number(/ {2}\+(\d+) {2}/.exec(l)?.[1]))).to.deep.equal(newest.map(Number));
    expect(lines1[1]).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d {2}\+\d+ {2}from the team$/);
    expect(buttons(page1)).to.deep.equal(['history:1']);
    await client().pressButton(user.id, page1!.message_id, 'history:1');
    await waitFor(async () => (await client().messages(user.id))[1]!.text!.includes('page 2'), 'page 2', 5_000);
    const page2 = (await client().messages(user.id))[1]!;
    const lines2 = page2.text!.split('\n').slice(1);
    // 12 grants + the welcome bonus = 13 entries: 3 on page 2, the oldest being the bonus.
    expect(lines2).to.have.length(3);
    expect(lines2.at(-1)).to.match(/\+30 {2}welcome bonus$/);
    expect(buttons(page2)).to.deep.equal(['history:0']);
    expect(await client().messages(user.id)).to.have.length(2);
  });

  it('/settings: switching to Russian changes the next replies; notifications can be turned off', async () => {
    const user = await registered();
    await client().sendText(user.id, '/settings');
    const [, settings] = await client().waitForMessages(user.id, 2);
    expect(settings!.text).to.equal('Settings\nLanguage: English\nNotifications (broadcasts, low-balance notices): on');
    expect(buttons(settings)).to.deep.equal(['settings:lang:ru', 'settings:notify:off']);
    await client().pressButton(user.id, settings!.message_id, 'settings:lang:ru');
    await waitFor(async () => (await client().messages(user.id))[1]!.text!.startsWith('Настройки'), 'settings in Russian');
    await client().sendText(user.id, '/balance');
    expect((await client().waitForMessages(user.id, 3))[2]!.text).to.equal('Ваш баланс: 30 монет.');
    // Telegram's language_code (en) no longer overrides the choice.
    expect((await stack.user(user.id)).language).to.equal('ru');

    await client().pressButton(user.id, settings!.message_id, 'settings:notify:off');
    await waitFor(async () => (await client().messages(user.id))[1]!.text!.endsWith('выкл.'), 'notifications off');
    expect((await stack.user(user.id)).notifications).to.equal(false);
    // Turned off, a fall below the threshold says nothing (broadcasts skip the user too: broadcast.test.ts).
    await client().sendText(ADMIN, `/grant ${user.id} -20 test`);
    await waitFor(async () => (await balanceOf(user.id)) === 10, 'balance 10');
    await new Promise((r) => setTimeout(r, 300));
    expect(await client().messages(user.id)).to.have.length(3);
  });

  it('the sweep releases a hold whose job is gone and leaves one whose job can still run', async () => {
    const user = await registered();
    const { id: userId } = await stack.user(user.id);
    const holds = stack.workers!.deps.holds;
    await holds.hold({ userId, key: `avatar:${user.id}:gone`, service: 'avatar', amount: 5, queue: 'avatars', jobId: 'no-such-job' });
    const alive = await stack.workers!.deps.queues.get('avatars').add('avatar.create', {}, { delay: 60_000, jobId: `alive-${user.id}` });
    await holds.hold({ userId, key: `avatar:${user.id}:alive`, service: 'avatar', amount: 5, queue: 'avatars', jobId: alive.id! });
    await stack.knex('holds').whereIn('key', [`avatar:${user.id}:gone`, `avatar:${user.id}:alive`]).update({ created_at: stack.knex.raw("now() - interval '1 hour'") });
    expect(await balanceOf(user.id)).to.equal(20);
    const sweep = await stack.workers!.deps.queues.get('billing').add('billing.sweep', {});
    await waitFor(async () => (await sweep.getState()) === 'completed', 'sweep done');
    expect(await holds.status(`avatar:${user.id}:gone`)).to.equal('released');
    expect(await holds.status(`avatar:${user.id}:alive`)).to.equal('held');
    expect(await balanceOf(user.id)).to.equal(25);
    expect(await entriesTotalOf(user.id)).to.equal(25);
    await alive.remove();
  });
});
