/**
 * Dispatches outbox rows after their transaction commits: at least once, also after a crash between
 * commit and dispatch. The committing process's rows come written already claimed by its relay and
 * are dispatched as the commit returns (`take`); the relay also polls for rows that are due (retries,
 * rows of a process that died), claiming them with a lease (SKIP LOCKED), so any process may dispatch
 * them. Rows a commit held back (a retry shortly, a timer's arming) are dispatched when due: the
 * committing process's relay wakes then (`wakeIn`), and any relay's poll finds them otherwise. A claim
 * that is never completed (the process died) becomes available again when the lease ends. Every
 * dispatcher is idempotent.
 */
import type { Sql } from 'postgres';
import type { Logger } from 'pino';
import type { OutboxTaker } from './engine.ts';
import type { ClaimedOutboxRow, OutboxEntry } from './outbox.ts';

export interface OutboxRelayOptions {
  sql: Sql;
  dispatch: (entry: OutboxEntry) => Promise<void>;
  logger: Logger;
  leaseMs?: number;
  pollMs?: number;
  batchSize?: number;
  /** Drains that may run at once in this process (default 4). */
  concurrency?: number;
}

/** How close together wake-ups for held-back rows are folded into one. */
const WAKE_GRAIN_MS = 20;

export class OutboxRelay implements OutboxTaker {
  readonly #options: Required<Omit<OutboxRelayOptions, 'logger'>> & { logger: Logger };
  /** Drains in flight; a few run at once so one slow batch does not hold back what was just committed. */
  readonly #draining = new Set<Promise<void>>();
  /** Dispatches of rows handed over by this process's commits. */
  readonly #taking = new Set<Promise<void>>();
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  /** Wake-ups for rows held back, by the WAKE_GRAIN_MS slot they are due in. */
  readonly #wakes = new Map<number, NodeJS.Timeout>();
  #stopped = true;

  constructor(options: OutboxRelayOptions) {
    this.#options = { leaseMs: 30_000, pollMs: 1_000, batchSize: 100, concurrency: 4, ...options };
  }

  get leaseMs(): number {
    return this.#options.leaseMs;
  }

  get taking(): boolean {
    return !this.#stopped;
  }

  /** Dispatches rows that a commit of this process wrote claimed by this relay (see Engine.useOutboxTaker). */
  take(rows: ClaimedOutboxRow[]): void {
    if (this.#stopped) return; // their lease ends and any relay dispatches them
    const taking: Promise<void> = this.#dispatchRows(rows)
      .catch((error: unknown) => this.#options.logger.error({ err: error }, 'outbox dispatch failed'))
      .finally(() => this.#taking.delete(taking));
    this.#taking.add(taking);
  }

  /**
   * Dispatches what is due in `delayMs` once it is, instead of at the next poll (see
   * Engine.useOutboxTaker). Rows held back longer than a poll's interval (timer armings) are left to
   * the poll: it is late by less than they were held back, and each wake-up costs a query.
   */
  wakeIn(delayMs: number): void {
    if (this.#stopped || delayMs > this.#options.pollMs) return;
    // Wake-ups due close together share one (at the end of their slot), so a busy process keeps a few timers, not one per commit.
    const slot = Math.ceil((Date.now() + delayMs) / WAKE_GRAIN_MS);
    if (this.#wakes.has(slot)) return;
    const wake = setTimeout(() => {
      this.#wakes.delete(slot);
      this.kick();
    }, slot * WAKE_GRAIN_MS - Date.now());
    this.#wakes.set(slot, wake);
  }

  start(): void {
    this.#stopped = false;
    const tick = () => {
      if (this.#stopped) return;
      this.kick();
      this.#timer = setTimeout(tick, this.#options.pollMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const wake of this.#wakes.values()) clearTimeout(wake);
    this.#wakes.clear();
    await Promise.all([...this.#draining, ...this.#taking]);
  }

  /** Dispatch what is due now: starts another drain unless enough run already (then one more runs after). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#draining.size >= this.#options.concurrency) {
      this.#again = true;
      return;
    }
    const draining: Promise<void> = this.#drain()
      .catch((error: unknown) => this.#options.logger.error({ err: error }, 'outbox relay failed'))
      .finally(() => {
        this.#draining.delete(draining);
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
    this.#draining.add(draining);
  }

  /** Drains until nothing is due; resolves when done (tests and shutdown use it). */
  async drain(): Promise<void> {
    while (await this.#drainBatch()) {
      /* keep going */
    }
  }

  async #drain(): Promise<void> {
    while (!this.#stopped && (await this.#drainBatch())) {
      /* keep going */
    }
  }

  async #drainBatch(): Promise<boolean> {
    const { sql, leaseMs, batchSize } = this.#options;
    const rows = await sql<ClaimedOutboxRow[]>`
      update outbox set available_at = now() + ${leaseMs} * interval '1 millisecond', attempts = attempts + 1
      where id = any(array(select id from outbox where available_at <= now() order by available_at limit ${batchSize} for update skip locked))
      returning id, kind, payload, attempts`;
    if (rows.length === 0) return false;
    await this.#dispatchRows(rows);
    return true;
  }

  /** Dispatches claimed rows; deletes those done, and holds back a failed one for a retry with backoff. */
  async #dispatchRows(rows: ClaimedOutboxRow[]): Promise<void> {
    const { sql, dispatch, logger } = this.#options;
    const done: number[] = [];
    await Promise.all(
      rows.map(async (row) => {
        try {
          await dispatch({ kind: row.kind, payload: row.payload } as OutboxEntry);
          done.push(row.id);
        } catch (error) {
          const delayMs = Math.min(60_000, 250 * 2 ** Math.min(row.attempts, 8));
          logger.warn({ err: error, outboxId: row.id, kind: row.kind, attempts: row.attempts }, 'outbox dispatch failed; will retry');
          await sql`update outbox set available_at = now() + ${delayMs} * interval '1 millisecond', last_error = ${String(error)}
                    where id = ${row.id}`;
        }
      }),
    );
    if (done.length > 0) await sql`delete from outbox where id = any(${done}::bigint[])`;
  }
}
