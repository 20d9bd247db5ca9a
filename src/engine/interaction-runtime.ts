/**
 * Executes the interaction machine inside the caller's transaction: lock the row, transition, append
 * the events, store the snapshot with a version check, run the in-transaction effects (agent capacity,
 * agent presence, stream events) and write the outbox rows for the rest (timers, routing, sends).
 */
import type { TransactionSql } from 'postgres';
import { interactionMachine, stageOf, statePath } from '../../machines/interaction.machine.ts';
import type { AgentNotice, InteractionContext, InteractionEvent } from '../../machines/interaction.types.ts';
import { suggestResponses } from '../desk/responses.ts';
import { observeInteractionTransition } from '../desk/transition-observer.ts';
import { claimKey } from '../db/group-commit.ts';
import { SwitchboardError } from '../errors.ts';
import { releaseCapacity } from './agent-capacity.ts';
import { keyOf } from './commit-keys.ts';
import { recentContactHistory } from './contacts.ts';
import { persistSnapshot, restoreSnapshot, step, type MachineAction, type PersistedSnapshot } from './machine-step.ts';
import type { OutboxEntry } from './outbox.ts';
import { applyPresenceEvent } from './presence-runtime.ts';
import { appendStreamEvent } from './stream.ts';

export interface InteractionRecord {
  id: string;
  state: string;
  statePath: string;
  version: number;
  context: InteractionContext;
  timers: Record<string, string>;
}

export interface TransitionResult {
  handled: boolean;
  before: InteractionRecord;
  after: InteractionRecord;
}

export interface LockedRow {
  snapshot: PersistedSnapshot;
  version: number;
  timers: Record<string, string>;
  state: string;
  state_path: string;
}

/** What an agent sees with an offer: the interaction in brief, the contact's recent history and suggested responses. */
async function offerDetails(tx: TransactionSql, interactionId: string): Promise<Record<string, unknown>> {
  const [row] = await tx<{ channel: string; reference: number; from_address: string; subject: string | null; category: string | null; priority: number; contact_id: string | null }[]>`
    select channel, reference, from_address, subject, category, priority, contact_id from interactions where id = ${interactionId}`;
  if (!row) return {};
  return {
    channel: row.channel,
    reference: Number(row.reference),
    from: row.from_address,
    subject: row.subject,
    category: row.category,
    priority: row.priority,
    contactId: row.contact_id,
    contactHistory: row.contact_id ? await recentContactHistory(tx, row.contact_id, interactionId) : [],
    suggestions: await suggestResponses(tx, interactionId, 3),
  };
}

/** Timer job ids are deterministic and contain no ':' (BullMQ reserves it). */
export function timerJobId(interactionId: string, timerId: string, version: number): string {
  return `${timerId}-${interactionId}-${version}`;
}

export interface LockedInteraction extends InteractionRecord {
  snapshot: PersistedSnapshot;
}

export function toLockedInteraction(id: string, row: LockedRow): LockedInteraction {
  return {
    id,
    state: row.state,
    statePath: row.state_path,
    version: row.version,
    context: row.snapshot.context as unknown as InteractionContext,
    timers: row.timers,
    snapshot: row.snapshot,
  };
}

/** Locks the interaction's row for the rest of the transaction and reads its current record. */
export async function lockInteraction(tx: TransactionSql, interactionId: string): Promise<LockedInteraction> {
  if (!claimKey(tx, keyOf.interaction(interactionId))) {
    throw new SwitchboardError('CONFLICT', `interaction ${interactionId} is being changed by another transaction in the same commit`);
  }
  const [row] = await tx<LockedRow[]>`
    select snapshot, version, timers, state, state_path from interactions where id = ${interactionId} for update`;
  if (!row) throw new SwitchboardError('INTERACTION_NOT_FOUND', `interaction ${interactionId} not found`);
  return toLockedInteraction(interactionId, row);
}

/** Locks the interaction and applies one event (see applyInteractionEvents). */
export async function applyInteractionEvent(
  tx: TransactionSql,
  interactionId: string,
  event: InteractionEvent,
  actor: string,
  now: Date,
  outbox: OutboxEntry[],
): Promise<TransitionResult> {
  return applyInteractionEvents(tx, await lockInteraction(tx, interactionId), [event], actor, now, outbox);
}

interface EventRow {
  interaction_id: string;
  seq: number;
  type: string;
  event: InteractionEvent;
  actor: string;
  at: Date;
  state: string;
  state_path: string;
  workgroup: string | null;
  agent_id: string | null;
  priority: number;
}

/**
 * Applies events in order to an interaction locked by this transaction: each is a transition of its
 * own (its own sequence number, its actions executed), and the result is written once. When the first
 * event does not apply, nothing changes (`handled: false`); a later one that does not apply is an error.
 */
export async function applyInteractionEvents(
  tx: TransactionSql,
  locked: LockedInteraction,
  events: InteractionEvent[],
  actor: string,
  now: Date,
  outbox: OutboxEntry[],
): Promise<TransitionResult> {
  const { snapshot: stored, ...before } = locked;
  const interactionId = locked.id;
  let snapshot = restoreSnapshot(interactionMachine, stored);
  let version = locked.version;
  let state = locked.state;
  let path = locked.statePath;
  let enteredQueue = false;
  const timers = { ...locked.timers };
  const rows: EventRow[] = [];

  for (const event of events) {
    const prior = { state, context: snapshot.context };
    const result = step(interactionMachine, snapshot, event);
    if (!result.handled) {
      if (rows.length === 0) return { handled: false, before, after: before };
      throw new SwitchboardError('INVALID_STATE', `interaction ${interactionId} is ${state}; ${event.type} does not apply`);
    }
    version += 1;
    snapshot = result.snapshot;
    const context = snapshot.context;
    const nextState = stageOf(snapshot.value);
    enteredQueue ||= nextState === 'queued' && state !== 'queued';
    state = nextState;
    path = statePath(snapshot.value);
    await executeActions(tx, interactionId, result.actions, context, version, timers, actor, now, outbox);
    await observeInteractionTransition(tx, { interactionId, seq: version, eventType: event.type, actor, now, before: prior, after: { state, context } }, outbox);
    rows.push({
      interaction_id: interactionId,
      seq: version,
      type: event.type,
      event,
      actor,
      at: now,
      state,
      state_path: path,
      workgroup: context.workgroup,
      agent_id: context.agentId,
      priority: context.priority,
    });
  }

  const context = snapshot.context;
  // The new snapshot (with its version check) and the event rows, in one statement.
  const [written] = await tx<{ updated: number }[]>`
    with updated as (
      update interactions set
        snapshot = ${tx.json(persistSnapshot(snapshot) as never)}, version = ${version},
        state = ${state}, state_path = ${path}, timers = ${tx.json(timers)},
        category = ${context.category}, workgroup = ${context.workgroup}, skills = ${context.skills},
        priority = ${context.priority}, target_agent_id = ${context.targetAgentId}, agent_id = ${context.agentId},
        last_agent_id = ${context.lastAgentId}, declined_by = ${context.declinedBy}, disposition = ${context.disposition},
        discard_reason = ${context.discardReason}, updated_at = ${now},
        queued_at = case when ${enteredQueue} then ${now} else queued_at end,
        closed_at = case when ${snapshot.status === 'done'} then ${now} else closed_at end
      where id = ${interactionId} and version = ${locked.version}
      returning id
    ), events as (
      insert into interaction_events (interaction_id, seq, type, event, actor, at, state, state_path, workgroup, agent_id, priority)
      select e.interaction_id, e.seq, e.type, e.event, e.actor, e.at, e.state, e.state_path, e.workgroup, e.agent_id, e.priority
      from jsonb_to_recordset(${tx.json(rows as never)}) as e(interaction_id uuid, seq int, type text, event jsonb, actor text, at timestamptz,
                                                               state text, state_path text, workgroup text, agent_id text, priority int)
      where exists (select 1 from updated)
    )
    select count(*)::int as updated from updated`;
  if (written?.updated !== 1) throw new SwitchboardError('CONFLICT', `interaction ${interactionId} changed concurrently`);

  return {
    handled: true,
    before,
    after: { id: interactionId, state, statePath: path, version, context, timers },
  };
}

/** Runs what one transition asked for: in-transaction effects now, the rest as outbox entries. */
async function executeActions(
  tx: TransactionSql,
  interactionId: string,
  actions: MachineAction[],
  context: InteractionContext,
  version: number,
  timers: Record<string, string>,
  actor: string,
  now: Date,
  outbox: OutboxEntry[],
): Promise<void> {
  for (const action of actions) {
    const params = action.params;
    switch (action.type) {
      case 'xstate.raise': {
        const timerId = String(params.id);
        const jobId = timerJobId(interactionId, timerId, version);
        timers[timerId] = jobId;
        outbox.push({
          kind: 'timer.arm',
          payload: {
            jobId,
            fireAt: now.getTime() + Number(params.delay ?? 0),
            target: { kind: 'interaction', id: interactionId },
            event: params.event as Record<string, unknown>,
          },
        });
        break;
      }
      case 'xstate.cancel': {
        const timerId = String(params.sendId);
        const jobId = timers[timerId];
        if (jobId !== undefined) {
          delete timers[timerId];
          outbox.push({ kind: 'timer.cancel', payload: { jobId } });
        }
        break;
      }
      case 'requestRouting':
        outbox.push({ kind: 'route.interaction', payload: { interactionId } });
        break;
      case 'releaseAgent': {
        const agentId = String(params.agentId);
        await releaseCapacity(tx, agentId, context.channel);
        outbox.push({ kind: 'route.agent', payload: { agentId } });
        break;
      }
      case 'setAgentNotReady':
        await applyPresenceEvent(
          tx,
          String(params.agentId),
          { type: 'GO_NOT_READY', reason: String(params.reason), at: now.toISOString() },
          actor,
          now,
          outbox,
        );
        break;
      case 'notifyAgent': {
        const notice = params.notice as AgentNotice;
        const { type, ...data } = notice;
        const payload: Record<string, unknown> =
          notice.type === 'offer'
            ? { ...data, expiresAt: new Date(now.getTime() + notice.timeoutMs).toISOString(), ...(await offerDetails(tx, interactionId)) }
            : data;
        await appendStreamEvent(tx, String(params.agentId), type, payload, outbox);
        break;
      }
      case 'sendMessage':
        outbox.push({ kind: 'message.send', payload: { messageId: String(params.messageId), channel: context.channel } });
        break;
      default:
        throw new Error(`interaction machine asked for unknown action ${action.type}`);
    }
  }
}
