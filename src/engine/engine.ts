/**
 * The engine: every change to an interaction or an agent is applied atomically with its outbox rows,
 * in a Postgres transaction of its own or shared with others that commit together (GroupCommit);
 * after the commit the process's outbox relay dispatches the rows at once.
 */
import type { TransactionSql } from 'postgres';
import type { PresenceEvent } from '../../machines/agent-presence.machine.ts';
import type { InteractionEvent } from '../../machines/interaction.types.ts';
import type { ConfigStore } from '../config/config-store.ts';
import type { Database } from '../db/client.ts';
import { GroupCommit, type GroupCommitStats } from '../db/group-commit.ts';
import { StaleReadError } from '../db/stale-read.ts';
import { SwitchboardError } from '../errors.ts';
import { keyOf } from './commit-keys.ts';
import { ReferenceNumbers } from './references.ts';
import { intake, type IntakeRequest, type IntakeResult } from './intake.ts';
import { DEFAULT_INTERACTION_CACHE_SIZE, InteractionCache, trackCachedReads, verifyUnwritten, type CachedReads, type InteractionCacheStats } from './interaction-cache.ts';
import { applyInteractionEvent, type TransitionResult } from './interaction-runtime.ts';
import { coalesceOutbox, outboxWrite, type ClaimedOutboxRow, type OutboxEntry } from './outbox.ts';
import { applyPresenceEvent, type PresenceResult } from './presence-runtime.ts';
import { routeAgent, routeInteraction, type Offer } from './router.ts';

/** What takes a commit's outbox rows for dispatch (OutboxRelay). */
export interface OutboxTaker {
  readonly leaseMs: number;
  /** Whether it dispatches now (false once stopping). */
  readonly taking: boolean;
  take(rows: ClaimedOutboxRow[]): void;
  /** Rows were written held back for `delayMs` (retries, timer armings): dispatch what is due then. */
  wakeIn(delayMs: number): void;
}

/** What one transaction leaves for its commit: its outbox entries, and what it took from and wrote for the interaction cache. */
interface Changes {
  outbox: OutboxEntry[];
  reads: CachedReads | null;
}

interface Written {
  taker: OutboxTaker | null;
  claimed: ClaimedOutboxRow[];
  /** The delays of the rows written held back. */
  heldBack: Set<number>;
  /** The interactions written, for the cache once committed. */
  cached: CachedReads[];
}

export interface EngineOptions {
  database: Database;
  config: ConfigStore;
  clock?: () => Date;
  /** Transactions that may share one commit (default 64; 1 gives every transaction its own). */
  maxGroup?: number;
  /** Transactions committing at once in this process (default 2; see GroupCommit). */
  commitConcurrency?: number;
  /** Interactions kept as this process last wrote them (see InteractionCache; default 10,000; 0 keeps none). */
  interactionCacheSize?: number;
}

export { keyOf } from './commit-keys.ts';

export class Engine {
  readonly database: Database;
  readonly config: ConfigStore;
  /** Reference numbers for new interactions. */
  readonly references: ReferenceNumbers;
  readonly #clock: () => Date;
  #taker: OutboxTaker | null = null;
  readonly #commits: GroupCommit<Changes, Written>;
  readonly #cache: InteractionCache | null;

  constructor(options: EngineOptions) {
    this.database = options.database;
    this.config = options.config;
    this.references = new ReferenceNumbers();
    this.#clock = options.clock ?? (() => new Date());
    const cacheSize = options.interactionCacheSize ?? DEFAULT_INTERACTION_CACHE_SIZE;
    this.#cache = cacheSize > 0 ? new InteractionCache(cacheSize) : null;
    this.#commits = new GroupCommit<Changes, Written>({
      sql: options.database.sql,
      maxGroup: options.maxGroup,
      concurrency: options.commitConcurrency,
      beforeCommit: (tx, changes) => {
        const entries = coalesceOutbox(changes.flatMap((change) => change.outbox));
        const cached = changes.flatMap((change) => (change.reads === null || change.reads.written.size === 0 ? [] : [change.reads]));
        // With a relay taking them in this process, the rows are written already claimed by it.
        const taker = this.#taker?.taking ? this.#taker : null;
        const write = outboxWrite(tx, entries, taker?.leaseMs ?? null);
        const heldBack = new Set(entries.flatMap((entry) => (entry.delayMs ? [entry.delayMs] : [])));
        return { statement: write.statement, read: (rows) => ({ taker, claimed: write.read(rows), heldBack, cached }) };
      },
      afterCommit: ({ taker, claimed, heldBack, cached }) => {
        for (const reads of cached) reads.cache.apply(reads.written);
        if (!taker) return;
        if (claimed.length > 0) taker.take(claimed);
        for (const delayMs of heldBack) taker.wakeIn(delayMs);
      },
    });
  }

  /** How often transactions shared a commit (benchmarks report it). */
  get commitStats(): GroupCommitStats {
    return this.#commits.stats;
  }

  /** How often changes took their interaction from the cache, and found it stale (null without a cache). */
  get interactionCacheStats(): InteractionCacheStats | null {
    return this.#cache?.stats ?? null;
  }

  /** Whether this process keeps a copy of the interaction (see InteractionCache). */
  keepsCopyOf(interactionId: string): boolean {
    return this.#cache?.has(interactionId) ?? false;
  }

  /**
   * Hands the outbox rows of every commit straight to `taker` (the process's relay), written claimed
   * by it for its lease: what commits here is dispatched at once, without a claim of its own, and
   * still by any relay once the lease ends if this process dies first.
   */
  useOutboxTaker(taker: OutboxTaker): () => void {
    this.#taker = taker;
    return () => {
      if (this.#taker === taker) this.#taker = null;
    };
  }

  now(): Date {
    return this.#clock();
  }

  /**
   * Runs `work` in one transaction; its outbox entries commit with it. Under load the transaction may
   * share its commit with others (see GroupCommit): `keys` name what it changes (`keyOf`) so that
   * works on the same interaction, agent or conversation never share one. The work may run twice (a
   * failed group runs its members again one by one), so it must act only through `tx` and `outbox`.
   */
  async transaction<T>(work: (tx: TransactionSql, outbox: OutboxEntry[], now: Date) => Promise<T>, keys: readonly string[] = []): Promise<T> {
    const changes: Changes = { outbox: [], reads: null };
    const now = this.now();
    try {
      return await this.#commits.run((tx) => this.#attempt(tx, changes, now, work), keys, changes);
    } catch (error) {
      // Stale on every attempt: the interaction keeps changing under this work, which the caller may retry.
      if (error instanceof StaleReadError) throw new SwitchboardError('CONFLICT', error.message);
      throw error;
    }
  }

  /**
   * One attempt at a transaction's work (a failed group runs it again). What it took from the
   * interaction cache and did not write is checked before its outcome counts: a value or an error that
   * came of a stale copy is not the caller's, and the work runs again (StaleReadError).
   */
  async #attempt<T>(tx: TransactionSql, changes: Changes, now: Date, work: (tx: TransactionSql, outbox: OutboxEntry[], now: Date) => Promise<T>): Promise<T> {
    changes.outbox.length = 0;
    changes.reads = this.#cache === null ? null : trackCachedReads(tx, this.#cache);
    if (changes.reads === null) return work(tx, changes.outbox, now);
    let value: T;
    try {
      value = await work(tx, changes.outbox, now);
    } catch (error) {
      if (!(error instanceof StaleReadError)) {
        await verifyUnwritten(tx).catch((failed: unknown) => {
          // Only a stale copy replaces the error; a transaction that cannot read any more keeps it.
          if (failed instanceof StaleReadError) throw failed;
        });
      }
      throw error;
    }
    await verifyUnwritten(tx);
    return value;
  }

  /**
   * Runs `work` in a transaction of its own, at once and outside the group commit's turns (see
   * GroupCommit.runApart); its outbox entries commit with it. For long work that changes nothing
   * another transaction names: a supervisor's snapshot of a workgroup.
   */
  async transactionApart<T>(work: (tx: TransactionSql, outbox: OutboxEntry[], now: Date) => Promise<T>): Promise<T> {
    const changes: Changes = { outbox: [], reads: null };
    const now = this.now();
    return this.#commits.runApart((tx) => this.#attempt(tx, changes, now, work), changes);
  }

  intake(request: IntakeRequest, actor: string): Promise<IntakeResult> {
    return this.transaction((tx, outbox, now) => intake(tx, this, request, actor, now, outbox));
  }

  /** Applies an event; an event the interaction cannot take in its state is refused with INVALID_STATE. */
  async send(interactionId: string, event: InteractionEvent, actor: string): Promise<TransitionResult> {
    const result = await this.#apply(interactionId, event, actor);
    if (!result.handled) {
      throw new SwitchboardError('INVALID_STATE', `interaction ${interactionId} is ${result.before.state}; ${event.type} does not apply`);
    }
    return result;
  }

  /** Applies an event that may have become stale (timers); returns whether it changed anything. */
  async deliver(interactionId: string, event: InteractionEvent, actor: string): Promise<boolean> {
    return (await this.#apply(interactionId, event, actor)).handled;
  }

  #apply(interactionId: string, event: InteractionEvent, actor: string): Promise<TransitionResult> {
    return this.transaction((tx, outbox, now) => applyInteractionEvent(tx, interactionId, event, actor, now, outbox), [keyOf.interaction(interactionId)]);
  }

  setPresence(agentId: string, event: PresenceEvent, actor: string): Promise<PresenceResult> {
    return this.transaction((tx, outbox, now) => applyPresenceEvent(tx, agentId, event, actor, now, outbox), [keyOf.agent(agentId)]);
  }

  routeInteraction(interactionId: string): Promise<Offer | null> {
    return this.transaction((tx, outbox, now) => routeInteraction(tx, this.config, interactionId, now, outbox), [keyOf.interaction(interactionId)]);
  }

  /** Offers an agent work until it is full or its lookups see nothing more that fits. */
  async routeAgent(agentId: string): Promise<Offer[]> {
    const offers: Offer[] = [];
    for (;;) {
      const { offer, more } = await this.transaction((tx, outbox, now) => routeAgent(tx, this.config, agentId, now, outbox), [keyOf.agent(agentId)]);
      if (offer) offers.push(offer);
      if (!more) return offers;
    }
  }
}
