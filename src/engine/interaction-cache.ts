/**
 * The interactions this process changed last, as it wrote them, so that the next change to one (an
 * agent's accept, reply, done, wrap-up; a timer) takes the event at once instead of reading the row
 * back first: a statement and a round trip fewer per change. The copy is never trusted:
 *
 * - The change is written with the version check every change has (and the interaction's count of
 *   open alerts compared): when another transaction, in this process or another, has changed the row
 *   since, nothing is written, the entry is dropped and the work fails with StaleReadError, which runs
 *   it again reading the row afresh. Nothing done from the stale copy is kept.
 * - Work that ends without writing the interaction (an error, a timer that no longer applies) reads
 *   its version before its outcome counts, with the same consequence.
 * - An entry is written only once its transaction has committed, and dropped when the interaction is
 *   over (closed or discarded) or changed behind its machine's back (a supervisor alert counted).
 * - Where processes take turns on the same interactions, most copies would be stale: the cache then
 *   pauses itself (see WINDOW).
 *
 * A copy is taken without locking the row first: the row is locked by the change's own statement, so
 * what the change locks before it (the agent's capacity given back) is locked in the other order than
 * with a read. Two transactions changing one interaction at once (only across processes: in one, its
 * key keeps them apart) may then wait for each other; Postgres breaks that deadlock and the loser runs
 * again, as for any deadlock.
 */
import type { TransactionSql } from 'postgres';
import { StaleReadError } from '../db/stale-read.ts';
import type { LockedRow } from './interaction-runtime.ts';

/** Interactions kept by default: the open ones of a busy process (each a few kilobytes). */
export const DEFAULT_INTERACTION_CACHE_SIZE = 10_000;

/**
 * Where processes take turns on the same interactions (several behind a load balancer without
 * affinity), most copies are stale and each costs its work, and its commit group, one attempt more.
 * The cache watches its hits in windows of this many: when more than a tenth were stale, it lends no
 * copies for a while (changes read their rows, as without it), then tries again.
 */
const WINDOW = 100;
const MOST_STALE = 0.1;
const PAUSE_MS = 30_000;

export interface InteractionCacheStats {
  /** Interactions kept. */
  size: number;
  /** Changes that took their interaction from the cache. */
  hits: number;
  /** Of those, the copies found stale (their work ran again). */
  stale: number;
  /** Times the cache stopped lending copies for a while, too many of them having been stale. */
  pauses: number;
}

export class InteractionCache {
  /** In order of use, the least recent first. */
  readonly #rows = new Map<string, LockedRow>();
  readonly #capacity: number;
  readonly #clock: () => number;
  #hits = 0;
  #stale = 0;
  #pauses = 0;
  /** The current window's hits and stale copies (see WINDOW). */
  #windowHits = 0;
  #windowStale = 0;
  /** Until when no copies are lent (a clock reading). */
  #pausedUntil = 0;

  constructor(capacity: number = DEFAULT_INTERACTION_CACHE_SIZE, clock: () => number = () => performance.now()) {
    this.#capacity = capacity;
    this.#clock = clock;
  }

  get stats(): InteractionCacheStats {
    return { size: this.#rows.size, hits: this.#hits, stale: this.#stale, pauses: this.#pauses };
  }

  has(id: string): boolean {
    return this.#rows.has(id);
  }

  /** The copy of `id` for a change about to be made (counted as a hit); none while paused. */
  take(id: string): LockedRow | undefined {
    if (this.#pausedUntil > 0) {
      if (this.#clock() < this.#pausedUntil) return undefined;
      this.#pausedUntil = 0;
    }
    const row = this.#rows.get(id);
    if (row === undefined) return undefined;
    this.#hits += 1;
    this.#rows.delete(id);
    this.#rows.set(id, row);
    this.#windowHits += 1;
    if (this.#windowHits >= WINDOW) {
      if (this.#windowStale > MOST_STALE * this.#windowHits) {
        this.#pausedUntil = this.#clock() + PAUSE_MS;
        this.#pauses += 1;
      }
      this.#windowHits = 0;
      this.#windowStale = 0;
    }
    return row;
  }

  /** The copy of `id` turned out stale. */
  drop(id: string): void {
    this.#stale += 1;
    this.#windowStale += 1;
    this.#rows.delete(id);
  }

  /** What a committed transaction wrote: the rows as they now are, null for those to forget. */
  apply(written: ReadonlyMap<string, LockedRow | null>): void {
    for (const [id, row] of written) {
      this.#rows.delete(id);
      if (row !== null) this.#rows.set(id, row);
    }
    for (const id of this.#rows.keys()) {
      if (this.#rows.size <= this.#capacity) break;
      this.#rows.delete(id);
    }
  }
}

/** What one attempt of a transaction took from the cache, and what it wrote for it. */
export class CachedReads {
  readonly cache: InteractionCache;
  /** The copies taken, by interaction. */
  readonly taken = new Map<string, LockedRow>();
  /** Applied to the cache once the transaction has committed. */
  readonly written = new Map<string, LockedRow | null>();

  constructor(cache: InteractionCache) {
    this.cache = cache;
  }
}

const readsOf = new WeakMap<object, CachedReads>();

/** Lets the work running on `tx` (one attempt) take interactions from `cache`; what it takes and writes is tracked. */
export function trackCachedReads(tx: TransactionSql, cache: InteractionCache): CachedReads {
  const reads = new CachedReads(cache);
  readsOf.set(tx, reads);
  return reads;
}

/**
 * The interaction as this process last wrote it; null when it is not cached, when `tx` does not use
 * the cache, or when this transaction has changed it already (a read then sees its own write).
 */
export function takeCached(tx: TransactionSql, id: string): LockedRow | null {
  const reads = readsOf.get(tx);
  if (reads === undefined || reads.written.has(id)) return null;
  const row = reads.taken.get(id) ?? reads.cache.take(id);
  if (row !== undefined) reads.taken.set(id, row);
  return row ?? null;
}

/** Whether the work on `tx` took interaction `id` from the cache. */
export function wasCached(tx: TransactionSql, id: string): boolean {
  return readsOf.get(tx)?.taken.has(id) ?? false;
}

/** The copy of `id` turned out stale: forgotten, and the work runs again. */
export function staleCopy(tx: TransactionSql, id: string): StaleReadError {
  readsOf.get(tx)?.cache.drop(id);
  return new StaleReadError(`interaction ${id} has changed since this process last wrote it`);
}

/** Notes what the transaction wrote of an interaction (null: forget it, as when it is over or changed behind the machine's back). */
export function noteWritten(tx: TransactionSql, id: string, row: LockedRow | null): void {
  readsOf.get(tx)?.written.set(id, row);
}

/**
 * Checks the copies the work took and did not write (a write checks its own version): throws
 * StaleReadError (and forgets the entry) when another transaction had changed a row since.
 */
export async function verifyUnwritten(tx: TransactionSql): Promise<void> {
  const reads = readsOf.get(tx);
  if (reads === undefined) return;
  const unwritten = [...reads.taken.keys()].filter((id) => !reads.written.has(id));
  if (unwritten.length === 0) return;
  const rows = await tx<{ id: string; version: number; open_alerts: number }[]>`
    select id, version, open_alerts from interactions where id = any(${unwritten}::uuid[])`;
  for (const id of unwritten) {
    const copy = reads.taken.get(id);
    const current = rows.find((row) => row.id === id);
    if (current === undefined || current.version !== copy?.version || current.open_alerts !== copy.open_alerts) throw staleCopy(tx, id);
  }
}
