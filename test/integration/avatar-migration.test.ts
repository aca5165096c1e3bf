import { expect } from 'chai';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/knex';
import { AvatarsRepository } from '../../src/repositories/avatars.repository';
import { plainJpeg } from '../support/images';
import { scratchDatabase } from '../support/scratch-db';

/**
 * The upgrade from one-JPEG avatars to variant sets, and back, on a database of its own: avatars users already have
 * keep working (a queued `message.send` names them by id), and a rollback keeps them too.
 */
describe('migration: avatars → avatar sets and back', function () {
  this.timeout(30_000);
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let knex: Knex;
  before(async () => {
    db = await scratchDatabase();
    knex = createKnex(db.url, { max: 2 });
  });
  after(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  /** Rolls back the migrations after the avatar sets one, then that one: the single `avatars` table again. */
  async function backToAvatarsTable(): Promise<void> {
    for (;;) {
      const [completed] = (await knex.migrate.list()) as [Array<{ name: string } | string>, unknown];
      const last = completed.at(-1)!;
      await knex.migrate.down();
      if ((typeof last === 'string' ? last : last.name).startsWith('20261122000700_avatar_sets')) return;
    }
  }

  it('an avatar made before sets keeps its id and bytes, and serves every size and format from its one JPEG', async () => {
    await backToAvatarsTable();
    const [user] = await knex('users').insert({ telegram_id: 4242 }).returning('id');
    const jpeg = await plainJpeg(512, 512, '#123456');
    const [old] = await knex('avatars')
      .insert({ user_id: user.id, source_unique_id: 'AQADold', style: 'square', size: 512, format: 'jpeg', bytes: jpeg })
      .returning('id');
    await knex.migrate.up();

    const avatars = new AvatarsRepository(knex);
    const set = await avatars.findSet(Number(user.id), 'AQADold', 'square');
    expect(set?.id).to.equal(Number(old.id));
    for (const [size, kind] of [[512, 'fallback'], [128, 'fallback'], [512, 'webp']] as const) {
      const v = await avatars.variant(set!.id, size, kind);
      expect([v?.size, v?.format, v?.bytes.equals(jpeg)], `${size} ${kind}`).to.deep.equal([512, 'jpeg', true]);
    }
    // New sets take ids after the migrated ones.
    const made = await avatars.saveSet({
      userId: Number(user.id), sourceUniqueId: 'AQADnew', style: 'circle',
      variants: [512, 256, 128].flatMap((size) => [{ size, format: 'webp' as const, bytes: jpeg }, { size, format: 'png' as const, bytes: jpeg }]),
    });
    expect(made.created).to.equal(true);
    expect(made.id).to.be.above(Number(old.id));

    // Rolled back: one row per set, the 512 px JPEG/PNG, under the set's id.
    await backToAvatarsTable();
    const rows = await knex('avatars').orderBy('id').select('id', 'source_unique_id', 'size', 'format');
    expect(rows.map((r) => [Number(r.id), r.source_unique_id, r.size, r.format])).to.deep.equal([
      [Number(old.id), 'AQADold', 512, 'jpeg'],
      [made.id, 'AQADnew', 512, 'png'],
    ]);
    await knex.migrate.latest();
  });
});
