/**
 * The intake every channel shares: store the interaction and its first message, then, in the same
 * transaction, acknowledge, categorize, queue and offer it to the best agent with room (or discard it
 * with a reason).
 */
import { randomUUID } from 'node:crypto';
import type { PendingQuery, Row, TransactionSql } from 'postgres';
import { interactionMachine, stageOf, statePath } from '../../machines/interaction.machine.ts';
import type { Channel, InteractionInput } from '../../machines/interaction.types.ts';
import type { ConfigStore } from '../config/config-store.ts';
import { applyInteractionEvents, type EventRow, type LockedInteraction, type NewInteraction } from './interaction-runtime.ts';
import { initialStep, persistSnapshot } from './machine-step.ts';
import type { OutboxEntry } from './outbox.ts';
import type { ReferenceNumbers } from './references.ts';
import { cancelReservation, offerEvent, offerOptions, reserveAgent, type Reservation, type RoutingNeed } from './router.ts';

export interface IntakeRequest {
  /** The new interaction's id, when the channel chose it (e.g. to record it with what it claimed); a new UUID otherwise. */
  id?: string;
  channel: Channel;
  from: string;
  to: string;
  subject?: string | null;
  body: string;
  /** Set when the channel decided no human should see it (auto-reply, bounce, opt-out). */
  discardReason?: string | null;
  /** Whether the channel sent an acknowledgement to the customer. */
  acknowledged?: boolean;
  /** The agent who last handled this customer's thread; used when the category routes replies back. */
  lastAgentId?: string | null;
  /** Category to use when no screening rule matched (e.g. the receiving number's), instead of the configured default. */
  defaultCategory?: string | null;
  contactId?: string | null;
  messageId?: string;
  externalId?: string | null;
  metadata?: Record<string, unknown>;
  /** More for the channel to write in the statement that writes the interaction; each may read `written` (its row). */
  also?: (sql: TransactionSql) => PendingQuery<Row[]>[];
  /** An agent reserved for it already, in the same transaction (see reserveEarly). */
  reservation?: EarlyReservation | null;
}

/** A reservation a channel made ahead of its own lookups, in the same round trip (see reserveEarly). */
export interface EarlyReservation {
  need: RoutingNeed;
  result: Promise<Reservation>;
}

type RoutingRequest = Pick<IntakeRequest, 'channel' | 'subject' | 'body' | 'defaultCategory' | 'lastAgentId'>;

/** The category a request falls in (screening rules, then the channel's default) and what it needs of an agent. */
function routingOf(config: ConfigStore, request: RoutingRequest) {
  const screened = config.categorizer().categorize(request.subject ?? null, request.body);
  const fallback = screened.matchedRule === null && request.defaultCategory ? config.current().categories.find((c) => c.id === request.defaultCategory) : undefined;
  const category = fallback ?? screened.category;
  const need: RoutingNeed = {
    channel: request.channel,
    workgroup: category.workgroup,
    skills: category.skills,
    targetAgentId: category.lastAgentRouting ? (request.lastAgentId ?? null) : null,
    declinedBy: [],
  };
  return { category, need };
}

/**
 * Reserves the agent a new interaction would be offered, before the channel knows that it makes one: the
 * statement goes out behind the channel's own (a claim, a conversation's lookup) in the same round trip.
 * Null when the category routes to the customer's last agent, whom only those lookups name. What intake
 * does not use, `cancelEarly` gives back.
 */
export function reserveEarly(tx: TransactionSql, config: ConfigStore, request: Omit<RoutingRequest, 'lastAgentId'>, now: Date): EarlyReservation | null {
  const { category, need } = routingOf(config, request);
  if (category.lastAgentRouting) return null;
  const result = reserveAgent(tx, need, now, { mayGiveBack: true });
  // Awaited by intake or cancelEarly; should the transaction fail before either, its error is the one reported.
  result.catch(() => {});
  return { need, result };
}

/** Gives back an early reservation that no interaction will use. */
export async function cancelEarly(tx: TransactionSql, early: EarlyReservation | null | undefined): Promise<void> {
  if (!early) return;
  const reserved = await early.result;
  if (reserved.agentId !== null) await cancelReservation(tx, reserved, early.need.channel);
}

const sameNeed = (a: RoutingNeed, b: RoutingNeed) =>
  a.channel === b.channel && a.workgroup === b.workgroup && a.targetAgentId === b.targetAgentId && a.skills.join('\n') === b.skills.join('\n') && a.declinedBy.length === 0 && b.declinedBy.length === 0;

export interface IntakeResult {
  id: string;
  reference: number;
  state: string;
  messageId: string;
  category: string | null;
}

/** What intake needs from the engine. */
export interface IntakeDeps {
  config: ConfigStore;
  references: ReferenceNumbers;
}

/**
 * Creates the interaction and runs its first transitions in memory (acknowledged, categorized, queued
 * and offered when an agent was reserved for it; or discarded), then writes the interaction as it
 * ended up, its event rows and its first message in one statement.
 */
export async function intake(
  tx: TransactionSql,
  deps: IntakeDeps,
  request: IntakeRequest,
  actor: string,
  now: Date,
  outbox: OutboxEntry[],
): Promise<IntakeResult> {
  const id = request.id ?? randomUUID();
  const reference = await deps.references.next(tx);
  const input: InteractionInput = { id, channel: request.channel, reference };
  const [initial] = initialStep(interactionMachine, input);
  const state = stageOf(initial.value);
  const path = statePath(initial.value);
  const created: LockedInteraction = {
    id,
    state,
    statePath: path,
    version: 0,
    context: initial.context,
    timers: {},
    snapshot: persistSnapshot(initial),
    about: { reference, from: request.from, to: request.to, subject: request.subject ?? null, contactId: request.contactId ?? null },
    openAlerts: 0,
  };
  const messageId = request.messageId ?? randomUUID();
  const create: NewInteraction = {
    priorEvents: [
      {
        interaction_id: id,
        seq: 0,
        type: 'xstate.init',
        event: { type: 'xstate.init', input } as unknown as EventRow['event'],
        actor,
        at: now,
        state,
        state_path: path,
        workgroup: null,
        agent_id: null,
        priority: 0,
      },
    ],
    firstBody: request.body,
    also: (sql) => [
      sql`
        insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, status, external_id, metadata, created_at, updated_at)
        select ${messageId}, id, 'in', ${request.channel}, ${request.from}, ${request.to}, ${request.subject ?? null}, ${request.body},
               'received', ${request.externalId ?? null}, ${sql.json((request.metadata ?? {}) as never)}, ${now}, ${now}
        from written`,
      ...(request.also?.(sql) ?? []),
    ],
  };

  if (request.discardReason) {
    await cancelEarly(tx, request.reservation);
    const result = await applyInteractionEvents(tx, created, [{ type: 'DISCARD', reason: request.discardReason }], actor, now, outbox, { create });
    return { id, reference, state: result.after.state, messageId, category: null };
  }

  const { routing } = deps.config.current();
  const { category, need } = routingOf(deps.config, request);
  const { targetAgentId } = need;
  // The best agent with room, reserved before the interaction is written, so that it is written
  // offered: no second transaction to route it. When none is, it is routed after it commits, as any
  // queued interaction (an agent that gains room meanwhile cannot see it before then). A reservation
  // made early for what turns out another need is given back.
  const early = request.reservation;
  let reserved: Reservation;
  if (early && sameNeed(early.need, need)) {
    reserved = await early.result;
  } else {
    await cancelEarly(tx, early);
    reserved = await reserveAgent(tx, need, now);
  }
  const result = await applyInteractionEvents(
    tx,
    created,
    [
      { type: 'ACKNOWLEDGE', sent: request.acknowledged ?? false },
      {
        type: 'CATEGORIZE',
        category: category.id,
        workgroup: category.workgroup,
        skills: category.skills,
        priority: category.priority,
        lastAgentRouting: category.lastAgentRouting,
        overflowAfterMs: category.overflowAfter,
        targetAgentId,
        agingEveryMs: routing.aging.every,
        agingAdd: routing.aging.add,
      },
      { type: 'ENQUEUE' },
      ...(reserved.agentId === null ? [] : [offerEvent(deps.config, reserved.agentId)]),
    ],
    actor,
    now,
    outbox,
    { create, ...offerOptions(deps.config) },
  );
  return { id, reference, state: result.after.state, messageId, category: category.id };
}
