/**
 * Skills-based routing. Two triggers:
 * - an interaction enters the queue: offer it to the best available agent with spare capacity
 *   (required skills met, then highest proficiency in them, then longest idle); a new one in its
 *   intake (reserveAgent, called by intake.ts), one back in the queue in a short transaction;
 * - an agent gains room (available, freed capacity): offer it the head of its queues (priority,
 *   then age) among interactions whose skills it has.
 * Reservation is a conditional UPDATE on the agent row (for an interaction, one statement finds and
 * reserves the agent), and the interaction row is locked while it is offered, so however many
 * processes route, no agent exceeds its capacity and no interaction is offered twice. Lookups pass
 * over rows others hold instead of waiting for them, and look again shortly when that left work
 * undone. Both lookups walk indexes in order and stop at the first fit (an interaction's through
 * agent_slots, see routing-profiles.ts), so a decision scans neither the queue nor the agents.
 */
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { Channel, InteractionEvent } from '../../machines/interaction.types.ts';
import type { ConfigStore } from '../config/config-store.ts';
import { claimKey, holdKey, keysHeldElsewhere, routedByAnother, routesKey } from '../db/group-commit.ts';
import { reserveCapacity } from './agent-capacity.ts';
import { keyOf } from './commit-keys.ts';
import { applyInteractionEvents, type ApplyOptions, lockedColumns, readForChange, toLockedInteraction, type LockedInteraction, type LockedRow } from './interaction-runtime.ts';
import type { OutboxEntry } from './outbox.ts';
import { routingProfile } from './routing-profiles.ts';

/** Routing decisions name the process that made them, for tracing a decision afterwards. */
const ROUTER = `router:${process.pid}`;

/** How many queued interactions one lookup for an agent returns. */
const CANDIDATES = 5;
/**
 * How many lookups an agent's decision makes when others hold its candidates. What it passes over is
 * not left queued for want of a look: an interaction another transaction holds looks for an agent
 * again shortly (through the outbox), one a member of the same commit holds is routed by that member,
 * or, when that member does not route it, this agent looks again shortly.
 */
const ROUNDS = 8;
const RETRY_AFTER_MS = 100;
/**
 * A queued interaction looks for an agent again after this when others held what it needed: every
 * agent that fits (its own lookup), or the interaction itself (an agent's lookup). It is longer than an
 * agent's retry, so that when both are due the agent's comes first.
 */
const INTERACTION_RETRY_AFTER_MS = 2 * RETRY_AFTER_MS;

export interface Offer {
  interactionId: string;
  agentId: string;
  offerId: string;
}

/** How an offer is applied: as the router's decision, with suggested responses when any are configured. */
export function offerOptions(config: ConfigStore): Pick<ApplyOptions, 'actors' | 'suggestResponses'> {
  return { actors: { OFFER: ROUTER }, suggestResponses: config.current().responses.length > 0 };
}

/** The event that offers an interaction to the agent reserved for it. */
export function offerEvent(config: ConfigStore, agentId: string): Extract<InteractionEvent, { type: 'OFFER' }> {
  const { routing } = config.current();
  return { type: 'OFFER', offerId: randomUUID(), agentId, timeoutMs: routing.offerTimeout, ronaPriorityIncrement: routing.ronaPriorityIncrement };
}

async function offer(
  tx: TransactionSql,
  config: ConfigStore,
  locked: LockedInteraction,
  agentId: string,
  now: Date,
  outbox: OutboxEntry[],
): Promise<Offer | null> {
  const event = offerEvent(config, agentId);
  const result = await applyInteractionEvents(tx, locked, [event], ROUTER, now, outbox, offerOptions(config));
  return result.handled ? { interactionId: locked.id, agentId, offerId: event.offerId } : null;
}

/** What an interaction needs of an agent. */
export interface RoutingNeed {
  channel: Channel;
  workgroup: string;
  skills: string[];
  /** Only this agent (targeted routing), or any of the workgroup's. */
  targetAgentId: string | null;
  declinedBy: string[];
}

/**
 * The agent reserved, with when it had been idle since (read only for a reservation that may be given
 * back, which then puts it back; the reservation makes it `reservedAt`), or none, and then whether agents
 * that fit were only passed over (held elsewhere).
 */
export type Reservation = { agentId: string; idleSince: Date | null; reservedAt: Date } | { agentId: null; passedOver: boolean };

/** Finds an agent for one queued interaction. */
export async function routeInteraction(
  tx: TransactionSql,
  config: ConfigStore,
  interactionId: string,
  now: Date,
  outbox: OutboxEntry[],
): Promise<Offer | null> {
  // This work offers the interaction or asks for it to be routed again (see routesKey).
  routesKey(tx, keyOf.interaction(interactionId));
  const record = await readForChange(tx, interactionId);
  if (record.state !== 'queued') return null;
  const { workgroup, skills, channel, targetAgentId, declinedBy } = record.context;
  if (workgroup === null) return null;
  const reserved = await reserveAgent(tx, { channel, workgroup, skills, targetAgentId, declinedBy }, now);
  if (reserved.agentId === null) {
    // Nobody fits or has room now (an agent asks for work when it gains room), unless agents that fit
    // were only passed over: then this decision is made again shortly.
    if (reserved.passedOver) outbox.push({ kind: 'route.interaction', payload: { interactionId }, delayMs: INTERACTION_RETRY_AFTER_MS });
    return null;
  }
  return offer(tx, config, record, reserved.agentId, now, outbox);
}

/**
 * Finds the best agent that fits and has room, and reserves it (a unit of its capacity, and it is
 * held to the end of the transaction), in one statement.
 */
export async function reserveAgent(tx: TransactionSql, need: RoutingNeed, now: Date, options: { mayGiveBack?: boolean } = {}): Promise<Reservation> {
  const { channel, workgroup, skills, targetAgentId, declinedBy } = need;
  // The best agent that fits, reserved in the same statement. Agents another transaction has locked
  // (reserving or releasing them), or that another transaction of this process is about to change,
  // are passed over rather than waited for: a wait would hold this transaction's locks, and those of
  // everything committing with it, for as long as the other runs, which may in turn wait for them.
  // The lookup locks the agent it picks and re-checks it, so capacity is never exceeded.
  const load = tx(channel === 'email' ? 'load_email' : 'load_sms');
  const capacity = tx(channel === 'email' ? 'cap_email' : 'cap_sms');
  const fits = tx`
    a.status = 'available' and a.${load} < a.${capacity}
    and ${targetAgentId === null ? tx`${workgroup} = any(a.workgroups)` : tx`a.id = ${targetAgentId}`}
    and a.skills ?& ${skills}::text[]
    and not (a.id = any(${declinedBy}::text[]))`;
  const elsewhere = keysHeldElsewhere(tx, keyOf.agent(''));
  const byRank = tx`order by (select coalesce(sum((a.skills ->> s)::int), 0) from unnest(${skills}::text[]) s) desc, a.idle_since asc`;
  const pick = tx`select a.id from agents a where ${fits} and not (a.id = any(${elsewhere}::text[])) ${byRank} limit 1 for update skip locked`;
  const anyFits = tx`exists (select 1 from agents a where ${fits})`;
  let choose = tx`(${pick})`;
  let fitsExist = anyFits;
  if (targetAgentId === null) {
    // The agent's slots for this workgroup, profile and media type are in routing order, ready ones
    // only (the order is spelled as agent_slots_pick_idx has it, so that the index gives it): the first
    // that is free is the one. An interaction whose profile is no longer configured
    // (its category changed since it was queued) is matched against the agents themselves.
    const profile = routingProfile(skills);
    const slots = tx`
      from agent_slots s join agents a on a.id = s.agent_id
      where s.workgroup = ${workgroup} and s.skills = ${profile}::text[] and s.channel = ${channel} and s.ready and ${fits}`;
    const known = tx`exists (select 1 from routing_profiles where skills = ${profile}::text[])`;
    choose = tx`(case when ${known} then (
      select a.id ${slots} and not (s.agent_id = any(${elsewhere}::text[]))
      order by s.score desc nulls last, s.idle_since asc limit 1 for update of a skip locked
    ) else (${pick}) end)`;
    fitsExist = tx`(case when ${known} then exists (select 1 ${slots}) else ${anyFits} end)`;
  }
  // When none is reserved, the same statement tells whether agents that fit were only passed over. A
  // reservation that may be given back (cancelReservation) reads the agent's idle time as it was: the
  // statement's snapshot is the one before its update.
  const previousIdle = options.mayGiveBack ? tx`(select a.idle_since from agents a where a.id = r.id)` : tx`null::timestamptz`;
  const [reserved] = await tx<{ id: string | null; idle_since: Date | null; passed_over: boolean | null }[]>`
    with reserved as (
      update agents set ${load} = ${load} + 1, idle_since = ${now}
      where id = ${choose}
      returning id
    )
    select r.id, ${previousIdle} as idle_since,
           case when r.id is null then ${fitsExist} end as passed_over
    from (select (select id from reserved) as id) r`;
  if (!reserved?.id) return { agentId: null, passedOver: reserved?.passed_over ?? false };
  holdKey(tx, keyOf.agent(reserved.id));
  return { agentId: reserved.id, idleSince: reserved.idle_since, reservedAt: now };
}

/**
 * Gives back a reservation the transaction made but will not use: the unit of capacity, and the time
 * the agent has been idle since as it was, unless a later reservation (another member of the same
 * commit group) has set it since (the agent stays held to the end of the transaction).
 */
export async function cancelReservation(tx: TransactionSql, reservation: { agentId: string; idleSince: Date | null; reservedAt: Date }, channel: Channel): Promise<void> {
  const load = tx(channel === 'email' ? 'load_email' : 'load_sms');
  await tx`
    update agents set ${load} = greatest(${load} - 1, 0),
      idle_since = case when idle_since = ${reservation.reservedAt} then coalesce(${reservation.idleSince}, idle_since) else idle_since end
    where id = ${reservation.agentId}`;
}

interface AgentRoom {
  status: string;
  workgroups: string[];
  skills: Record<string, number>;
  load_email: number;
  cap_email: number;
  load_sms: number;
  cap_sms: number;
}

/** What one look for work for an agent did. */
export interface AgentRouting {
  offer: Offer | null;
  /** Whether another look may find more: the agent has room left and this one saw work it did not get to. */
  more: boolean;
}

/** Finds work for one agent that has room: offers it the first that fits, if any. */
export async function routeAgent(
  tx: TransactionSql,
  config: ConfigStore,
  agentId: string,
  now: Date,
  outbox: OutboxEntry[],
): Promise<AgentRouting> {
  const [agent] = await tx<AgentRoom[]>`
    select status, workgroups, skills, load_email, cap_email, load_sms, cap_sms from agents where id = ${agentId} for update`;
  if (!agent || agent.status !== 'available') return { offer: null, more: false };
  const channels: Channel[] = [];
  if (agent.load_email < agent.cap_email) channels.push('email');
  if (agent.load_sms < agent.cap_sms) channels.push('sms');
  if (channels.length === 0) return { offer: null, more: false };
  const skillNames = Object.keys(agent.skills);
  // Passed over because others hold them; whether this agent must look again shortly for them.
  const skipped: string[] = [];
  let lookAgain = false;
  for (let round = 0; round < ROUNDS; round++) {
    // The head of each of the agent's queues (one index probe per workgroup and channel), and work waiting for this agent.
    const candidates = await tx<{ id: string; channel: Channel }[]>`
      select id, channel from (
        select head.* from unnest(${agent.workgroups}::text[]) as wg(id), unnest(${channels}::text[]) as ch(id),
        lateral (
          select i.id, i.channel, i.priority, i.created_at from interactions i
          where i.state = 'queued' and i.target_agent_id is null and i.workgroup = wg.id and i.channel = ch.id
            and i.skills <@ ${skillNames}::text[] and not (${agentId} = any(i.declined_by))
            and not (i.id = any(${skipped}::uuid[]))
          order by i.priority desc nulls last, i.created_at asc limit ${CANDIDATES}
        ) head
        union all
        select * from (
          select i.id, i.channel, i.priority, i.created_at from interactions i
          where i.state = 'queued' and i.target_agent_id = ${agentId} and i.channel = any(${channels}::text[])
            and not (i.id = any(${skipped}::uuid[]))
          order by i.priority desc nulls last, i.created_at asc limit ${CANDIDATES}
        ) targeted
      ) c
      order by priority desc, created_at asc
      limit ${CANDIDATES}`;
    for (const [index, candidate] of candidates.entries()) {
      const key = keyOf.interaction(candidate.id);
      // Another member of this commit holds it: one that routes it sees to it; after any other, this agent looks again shortly.
      if (!claimKey(tx, key)) {
        skipped.push(candidate.id);
        lookAgain ||= !routedByAnother(tx, key);
        continue;
      }
      // From here this work sees to it: offers it, or has it look for an agent again.
      routesKey(tx, key);
      const [free] = await tx<LockedRow[]>`
        select ${lockedColumns(tx)} from interactions
        where id = ${candidate.id} and state = 'queued' for update skip locked`;
      if (!free) {
        // Another transaction holds it (offering it elsewhere, or changing it): it looks for an agent
        // again shortly, whoever then has room, since members of this commit that passed it over rely on this one.
        skipped.push(candidate.id);
        outbox.push({ kind: 'route.interaction', payload: { interactionId: candidate.id }, delayMs: INTERACTION_RETRY_AFTER_MS });
        continue;
      }
      if (!(await reserveCapacity(tx, agentId, candidate.channel, now))) {
        // Another member of this commit took the agent's last room: the interaction goes back to routing.
        outbox.push({ kind: 'route.interaction', payload: { interactionId: candidate.id } });
        return { offer: null, more: false };
      }
      const made = await offer(tx, config, toLockedInteraction(candidate.id, free), agentId, now, outbox);
      const roomLeft = channels.length > 1 || (candidate.channel === 'email' ? agent.load_email + 1 < agent.cap_email : agent.load_sms + 1 < agent.cap_sms);
      const sawMore = index < candidates.length - 1 || candidates.length === CANDIDATES || lookAgain;
      return { offer: made, more: made !== null && roomLeft && sawMore };
    }
    if (candidates.length < CANDIDATES) break;
  }
  // Work in reach was held by a member of this commit that does not route it: look again shortly.
  if (lookAgain) outbox.push({ kind: 'route.agent', payload: { agentId }, delayMs: RETRY_AFTER_MS });
  return { offer: null, more: false };
}
