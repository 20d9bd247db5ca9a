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
import { SwitchboardError } from '../errors.ts';
import { keyOf } from './commit-keys.ts';
import { ReferenceNumbers } from './references.ts';
import { intake, type IntakeRequest, type IntakeResult } from './intake.ts';
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

interface Written {
  taker: OutboxTaker | null;
  claimed: ClaimedOutboxRow[];
  /** The delays of the rows written held back. */
  heldBack: Set<number>;
}

export interface EngineOptions {
  database: Database;
  config: ConfigStore;
  clock?: () => Date;
  /** Transactions that may share one commit (default 64; 1 gives every transaction its own). */
  maxGroup?: number;
  /** Transactions committing at once in this process (default 2; see GroupCommit). */
  commitConcurrency?: number;
}

export { keyOf } from './commit-keys.ts';

export class Engine {
  readonly database: Database;
  readonly config: ConfigStore;
  /** Reference numbers for new interactions. */
  readonly references: ReferenceNumbers;
  readonly #clock: () => Date;
  #taker: OutboxTaker | null = null;
  readonly #commits: GroupCommit<OutboxEntry[], Written>;

  constructor(options: EngineOptions) {
    this.database = options.database;
    this.config = options.config;
    this.references = new ReferenceNumbers();
    this.#clock = options.clock ?? (() => new Date());
    this.#commits = new GroupCommit<OutboxEntry[], Written>({
      sql: options.database.sql,
      maxGroup: options.maxGroup,
      concurrency: options.commitConcurrency,
      beforeCommit: (tx, outboxes) => {
        const entries = coalesceOutbox(outboxes.flat());
        // With a relay taking them in this process, the rows are written already claimed by it.
        const taker = this.#taker?.taking ? this.#taker : null;
        const write = outboxWrite(tx, entries, taker?.leaseMs ?? null);
        const heldBack = new Set(entries.flatMap((entry) => (entry.delayMs ? [entry.delayMs] : [])));
        return { statement: write.statement, read: (rows) => ({ taker, claimed: write.read(rows), heldBack }) };
      },
      afterCommit: ({ taker, claimed, heldBack }) => {
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
    const outbox: OutboxEntry[] = [];
    const now = this.now();
    const result = await this.#commits.run(
      (tx) => {
        outbox.length = 0;
        return work(tx, outbox, now);
      },
      keys,
      outbox,
    );
    return result as T;
  }

  /**
   * Runs `work` in a transaction of its own, at once and outside the group commit's turns (see
   * GroupCommit.runApart); its outbox entries commit with it. For long work that changes nothing
   * another transaction names: a supervisor's snapshot of a workgroup.
   */
  async transactionApart<T>(work: (tx: TransactionSql, outbox: OutboxEntry[], now: Date) => Promise<T>): Promise<T> {
    const outbox: OutboxEntry[] = [];
    const now = this.now();
    return this.#commits.runApart((tx) => {
      outbox.length = 0;
      return work(tx, outbox, now);
    }, outbox);
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
