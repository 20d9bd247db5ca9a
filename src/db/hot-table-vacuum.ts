/**
 * Keeps the tables whose few rows are rewritten many times a second free of dead row versions. Every
 * offer rewrites its agent's row and the agent's routing slots (`agent_slots`, whose routing index holds
 * the agent's idle time, so no update of it is a HOT update), and every side effect passes through the
 * outbox (inserted, claimed, deleted). Each rewrite leaves a dead version behind, in the table and in
 * its indexes, and the lookups that walk those indexes in order (the router's pick of an agent, the
 * relay's claim of the oldest outbox rows) step over every dead version at the front until a vacuum
 * removes them. Autovacuum visits a database once a minute at most (`autovacuum_naptime`), and may be
 * off: at hundreds of offers a second that leaves tens of thousands of dead versions to step over.
 *
 * So every worker process looks, every `everyMs`, at the dead versions Postgres counts in these
 * tables, and vacuums those with more than `minDeadRows` and more than `deadShare` of their live rows.
 * The tables stay small (agents, their slots, side effects not yet dispatched), so a vacuum takes
 * milliseconds. It runs beside the engine's transactions without blocking them; processes looking at
 * once do not wait for each other (`SKIP_LOCKED`: a table another vacuum holds is left to it).
 */
import type { Logger } from 'pino';
import { PeriodicTask } from '../periodic-task.ts';
import type { Sql } from './client.ts';

/** The tables looked after, all small and rewritten on every offer or side effect. */
const HOT_TABLES = ['outbox', 'agent_slots', 'agents'];

export interface HotTableVacuumOptions {
  sql: Sql;
  logger: Logger;
  /** How often to look (default 1 s). */
  everyMs?: number;
  /** Dead row versions a table must have before it is vacuumed (default 500)... */
  minDeadRows?: number;
  /** ...and their least share of its live rows (default 0.2). */
  deadShare?: number;
}

export class HotTableVacuum {
  readonly #options: Required<HotTableVacuumOptions>;
  readonly #task: PeriodicTask;

  constructor(options: HotTableVacuumOptions) {
    this.#options = { everyMs: 1_000, minDeadRows: 500, deadShare: 0.2, ...options };
    this.#task = new PeriodicTask(() => this.sweep(), this.#options.everyMs, (error) =>
      this.#options.logger.warn({ err: error }, 'vacuuming the hot tables failed'),
    );
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** One look: vacuums the tables past the thresholds and returns their names. */
  async sweep(): Promise<string[]> {
    const { sql, minDeadRows, deadShare, logger } = this.#options;
    const due = await sql<{ name: string }[]>`
      select relname as name from pg_stat_user_tables
      where schemaname = current_schema() and relname = any(${HOT_TABLES}::text[])
        and n_dead_tup >= ${minDeadRows} and n_dead_tup >= n_live_tup * ${deadShare}::float8
      order by relname`;
    const names = due.map((row) => row.name);
    if (names.length === 0) return names;
    const began = performance.now();
    await sql`vacuum (skip_locked) ${sql(names)}`;
    logger.debug({ tables: names, ms: Math.round(performance.now() - began) }, 'vacuumed hot tables');
    return names;
  }
}
