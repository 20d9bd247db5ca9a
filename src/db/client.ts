/**
 * Postgres access. The schema lives in drizzle/core.schema.ts and its migrations in drizzle/ (generated
 * by drizzle-kit, applied here at start-up). Queries use postgres.js tagged templates directly: the
 * engine's hot paths are hand-written SQL (row locks, conditional updates, index-ordered lookups).
 */
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { connectPostgresSocket } from './socket.ts';

export type Sql = postgres.Sql;

export interface Database {
  url: string;
  sql: Sql;
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Settings of every connection. Each statement is prepared once per connection and run many times
 * with new parameters. By default Postgres plans a prepared statement anew at each run for as long as
 * a plan for the parameters at hand looks cheaper than the generic one, and for statements given
 * arrays (of unknown length to a generic plan) it always does: the agent's look for work was planned
 * at every run, about 0.35 ms of Postgres's time, more than running it took. Generic plans are made
 * once per connection; the engine's statements are key lookups and index-ordered probes, whose best
 * plan does not depend on the values looked up. A generic plan's cost is estimated for values not yet
 * known and can pass the threshold at which Postgres compiles a plan to machine code (JIT: 30 ms
 * and more, for a statement that runs in under one), so JIT is off, as suits short statements.
 */
const SESSION_SETTINGS = { plan_cache_mode: 'force_generic_plan', jit: 'off' };

export function connectDatabase(url: string, options: { max?: number } = {}): Database {
  // `socket` is a postgres.js option its type declarations leave out (see src/db/socket.ts).
  const connect = { socket: connectPostgresSocket } as Record<string, unknown>;
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {}, transform: { undefined: null }, connection: SESSION_SETTINGS, ...connect });
  return { url, sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * Applies the migrations in drizzle/. Idempotent; processes starting together serialize on an
 * advisory lock. Drizzle gets a connection of its own (it installs its own type parsers).
 */
export async function migrateDatabase(database: Database): Promise<void> {
  const connection = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    await connection`select pg_advisory_lock(727274)`;
    await migrate(drizzle(connection), { migrationsFolder: MIGRATIONS });
  } finally {
    await connection.end({ timeout: 5 });
  }
}
