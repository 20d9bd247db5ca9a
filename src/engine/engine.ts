/**
 * The engine: every change to an interaction or an agent is one Postgres transaction that also
 * writes its outbox rows; after commit the outbox relay is kicked to dispatch them at once.
 */
import type { TransactionSql } from 'postgres';
import type { PresenceEvent } from '../../machines/agent-presence.machine.ts';
import type { InteractionEvent } from '../../machines/interaction.types.ts';
import type { ConfigStore } from '../config/config-store.ts';
import type { Database } from '../db/client.ts';
import { inTransaction } from '../db/transaction.ts';
import { SwitchboardError } from '../errors.ts';
import { intake, type IntakeRequest, type IntakeResult } from './intake.ts';
import { applyInteractionEvent, type TransitionResult } from './interaction-runtime.ts';
import { writeOutbox, type OutboxEntry } from './outbox.ts';
import { applyPresenceEvent, type PresenceResult } from './presence-runtime.ts';
import { routeAgent, routeInteraction, type Offer } from './router.ts';

export interface EngineOptions {
  database: Database;
  config: ConfigStore;
  clock?: () => Date;
}

export class Engine {
  readonly database: Database;
  readonly config: ConfigStore;
  readonly #clock: () => Date;
  readonly #committed = new Set<() => void>();

  constructor(options: EngineOptions) {
    this.database = options.database;
    this.config = options.config;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Called after every commit that wrote outbox rows (the relay listens). */
  onCommitted(listener: () => void): () => void {
    this.#committed.add(listener);
    return () => this.#committed.delete(listener);
  }

  now(): Date {
    return this.#clock();
  }

  /** Runs `work` in one transaction; its outbox entries commit with it. */
  async transaction<T>(work: (tx: TransactionSql, outbox: OutboxEntry[], now: Date) => Promise<T>): Promise<T> {
    const outbox: OutboxEntry[] = [];
    const now = this.now();
    const result = await inTransaction(this.database.sql, async (tx) => {
      const value = await work(tx, outbox, now);
      await writeOutbox(tx, outbox);
      return value;
    });
    if (outbox.length > 0) for (const listener of this.#committed) listener();
    return result as T;
  }

  intake(request: IntakeRequest, actor: string): Promise<IntakeResult> {
    return this.transaction((tx, outbox, now) => intake(tx, this.config, request, actor, now, outbox));
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
    return this.transaction((tx, outbox, now) => applyInteractionEvent(tx, interactionId, event, actor, now, outbox));
  }

  setPresence(agentId: string, event: PresenceEvent, actor: string): Promise<PresenceResult> {
    return this.transaction((tx, outbox, now) => applyPresenceEvent(tx, agentId, event, actor, now, outbox));
  }

  routeInteraction(interactionId: string): Promise<Offer | null> {
    return this.transaction((tx, outbox, now) => routeInteraction(tx, this.config, interactionId, now, outbox));
  }

  /** Offers an agent work until it is full or nothing fits. */
  async routeAgent(agentId: string): Promise<Offer[]> {
    const offers: Offer[] = [];
    for (;;) {
      const offer = await this.transaction((tx, outbox, now) => routeAgent(tx, this.config, agentId, now, outbox));
      if (!offer) return offers;
      offers.push(offer);
    }
  }
}
