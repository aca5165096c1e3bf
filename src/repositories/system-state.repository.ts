import type { Knex } from 'knex';

/** Named values kept between runs (`system_state`), e.g. the reconciliation's cursor. */
export class SystemStateRepository {
  constructor(private readonly knex: Knex) {}

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.knex('system_state').where({ key }).first('value');
    return row?.value as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.knex('system_state')
      .insert({ key, value: JSON.stringify(value), updated_at: this.knex.fn.now() })
      .onConflict('key')
      .merge();
  }
}
