import path from 'node:path';
import type { Config } from '../../config';
import { databaseOf, onServer } from '../../db/knex';
import type { Manifest } from '../../db/fingerprint';

/** Where backups live and what sits beside them (backup.handlers.ts, `npm run restore`, `/backup`'s reply). */

/** BACKUP_DIR as an absolute path (a relative one is read from the process's working directory). */
export const backupDir = (config: Config): string => path.resolve(config.BACKUP_DIR);

/** What sits next to every dump: enough to check and restore it when the database that recorded it is gone. */
export interface Sidecar {
  id: number;
  file: string;
  database: string;
  serverVersion: string;
  sha256: string;
  sizeBytes: number;
  startedAt: string;
  finishedAt: string;
  manifest: Manifest;
}
export const sidecarOf = (file: string): string => `${file}.json`;

/** Scratch databases of drills on this database: `<db>_drill_<backup id>` (the name cut to Postgres's 63 bytes). */
export const drillPrefix = (databaseUrl: string): string => `${databaseOf(databaseUrl).slice(0, 40)}_drill_`;

/** A file size as operators read it: "17.7" (MB). */
export const megabytes = (bytes: number) => (bytes / 1_048_576).toFixed(1);

/** Drops the scratch databases a killed drill left (called under the lock: no drill of ours is running). */
export async function dropOrphanDrills(databaseUrl: string): Promise<string[]> {
  return onServer(databaseUrl, async (client) => {
    const prefix = drillPrefix(databaseUrl);
    const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE left(datname, $1) = $2", [prefix.length, prefix]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    return rows.map((r) => r.datname);
  });
}

