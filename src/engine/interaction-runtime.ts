/**
 * Executes the interaction machine inside the caller's transaction: lock the row, transition, append
 * the events, store the snapshot with a version check, run the in-transaction effects (agent capacity,
 * agent presence, stream events) and write the outbox rows for the rest (timers, routing, sends).
 */
import type { PendingQuery, Row, TransactionSql } from 'postgres';
import { interactionMachine, stageOf, statePath } from '../../machines/interaction.machine.ts';
import type { AgentNotice, InteractionContext, InteractionEvent } from '../../machines/interaction.types.ts';
import type { StoredTimer } from '../../drizzle/core.schema.ts';
import { suggestResponses } from '../desk/responses.ts';
import { observeInteractionTransition } from '../desk/transition-observer.ts';
import { claimKey } from '../db/group-commit.ts';
import { SwitchboardError } from '../errors.ts';
import { releaseCapacity } from './agent-capacity.ts';
import { keyOf } from './commit-keys.ts';
import { noteWritten, staleCopy, takeCached, wasCached } from './interaction-cache.ts';
import { recentContactHistory } from './contacts.ts';
import { persistSnapshot, restoreSnapshot, step, type MachineAction, type PersistedSnapshot } from './machine-step.ts';
import { timerArmHold, type OutboxEntry } from './outbox.ts';
import { applyPresenceEvent } from './presence-runtime.ts';
import { noteStreamEvent } from './stream.ts';

export interface InteractionRecord {
  id: string;
  state: string;
  statePath: string;
  version: number;
  context: InteractionContext;
  timers: Record<string, StoredTimer>;
}

export interface TransitionResult {
  handled: boolean;
  before: InteractionRecord;
  after: InteractionRecord;
}

/** What never changes after intake: where the customer wrote from and to, and about what. */
export interface InteractionAbout {
  reference: number;
  from: string;
  to: string;
  subject: string | null;
  contactId: string | null;
}

export interface LockedRow {
  snapshot: PersistedSnapshot;
  version: number;
  timers: Record<string, StoredTimer>;
  state: string;
  state_path: string;
  reference: string | number;
  from_address: string;
  to_address: string;
  subject: string | null;
  contact_id: string | null;
  open_alerts: number;
}

/** The columns a lock reads (LockedRow). */
export function lockedColumns(tx: TransactionSql): PendingQuery<Row[]> {
  return tx`snapshot, version, timers, state, state_path, reference, from_address, to_address, subject, contact_id, open_alerts`;
}

/** What an agent sees with an offer: the interaction in brief, the contact's recent history and suggested responses. */
async function offerDetails(effects: Effects, context: InteractionContext): Promise<Record<string, unknown>> {
  const { tx, interactionId, about } = effects;
  const [contactHistory, suggestions] = await Promise.all([
    about.contactId ? recentContactHistory(tx, about.contactId, interactionId) : [],
    effects.suggestResponses
      ? suggestResponses(
          tx,
          interactionId,
          3,
          effects.firstBody === null ? undefined : { channel: context.channel, workgroup: context.workgroup, text: `${about.subject ?? ''} ${effects.firstBody}` },
        )
      : [],
  ]);
  return {
    channel: context.channel,
    reference: about.reference,
    from: about.from,
    subject: about.subject,
    category: context.category,
    priority: context.priority,
    contactId: about.contactId,
    contactHistory,
    suggestions,
  };
}

/** The job id of an armed timer as stored. */
function timerJob(timer: StoredTimer): string {
  return typeof timer === 'string' ? timer : timer.jobId;
}

/** When the earliest of the armed timers whose moment is known is due (see engine/lost-jobs.ts). */
function nextTimerAt(timers: Record<string, StoredTimer>): Date | null {
  let next: number | null = null;
  for (const timer of Object.values(timers)) if (typeof timer !== 'string' && (next === null || timer.fireAt < next)) next = timer.fireAt;
  return next === null ? null : new Date(next);
}

/** Timer job ids are deterministic and contain no ':' (BullMQ reserves it). */
export function timerJobId(interactionId: string, timerId: string, version: number): string {
  return `${timerId}-${interactionId}-${version}`;
}

export interface LockedInteraction extends InteractionRecord {
  snapshot: PersistedSnapshot;
  about: InteractionAbout;
  /** Supervisor alerts open on it (a transition clears those of the watches it leaves). */
  openAlerts: number;
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
    about: { reference: Number(row.reference), from: row.from_address, to: row.to_address, subject: row.subject, contactId: row.contact_id },
    openAlerts: row.open_alerts,
  };
}

/**
 * The interaction's current record, for a change this transaction makes to it: as this process last
 * wrote it when it keeps that copy (the row is then locked by the change's own version-checked write,
 * and a stale copy makes the work run again: see interaction-cache.ts), otherwise read with its row
 * locked for the rest of the transaction.
 */
export async function readForChange(tx: TransactionSql, interactionId: string): Promise<LockedInteraction> {
  if (!claimKey(tx, keyOf.interaction(interactionId))) {
    throw new SwitchboardError('CONFLICT', `interaction ${interactionId} is being changed by another transaction in the same commit`);
  }
  const cached = takeCached(tx, interactionId);
  if (cached !== null) return toLockedInteraction(interactionId, cached);
  const [row] = await tx<LockedRow[]>`select ${lockedColumns(tx)} from interactions where id = ${interactionId} for update`;
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
  return applyInteractionEvents(tx, await readForChange(tx, interactionId), [event], actor, now, outbox);
}

export interface EventRow {
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

/** An interaction being created (at the transaction's `now`): written with its first transitions in one statement (see intake). */
export interface NewInteraction {
  /** The events before the first applied one (xstate.init), written with them. */
  priorEvents: EventRow[];
  /** The body of its first message (written in `also`). */
  firstBody: string;
  /**
   * More to write in the same statement (e.g. the first message), each as a CTE body; they may read
   * `written` (the interaction's row once written).
   */
  also?: (tx: TransactionSql) => PendingQuery<Row[]>[];
}

export interface ApplyOptions {
  /** Set when `locked` does not exist yet: it is inserted, with what it became, instead of updated. */
  create?: NewInteraction;
  /** Whether an offer looks for suggested standard responses (there are none to find when none are configured). */
  suggestResponses?: boolean;
  /** Who caused events of these types, when not `actor` (a new interaction offered by the router in its intake). */
  actors?: Partial<Record<InteractionEvent['type'], string>>;
}

/**
 * Applies events in order to an interaction locked by this transaction: each is a transition of its
 * own (its own sequence number, its actions executed), and the result is written once, in one
 * statement with its event rows and stream events. When the first event does not apply, nothing
 * changes (`handled: false`); a later one that does not apply is an error.
 */
export async function applyInteractionEvents(
  tx: TransactionSql,
  locked: LockedInteraction,
  events: InteractionEvent[],
  actor: string,
  now: Date,
  outbox: OutboxEntry[],
  options: ApplyOptions = {},
): Promise<TransitionResult> {
  const { snapshot: stored, about, openAlerts: alertsOpenBefore, ...before } = locked;
  let openAlerts = alertsOpenBefore;
  const interactionId = locked.id;
  let snapshot = restoreSnapshot(interactionMachine, stored);
  let version = locked.version;
  let state = locked.state;
  let path = locked.statePath;
  let enteredQueue = false;
  const timers = { ...locked.timers };
  const rows: EventRow[] = [...(options.create?.priorEvents ?? [])];
  const streamRows: StreamRow[] = [];
  const effects: Effects = {
    tx,
    interactionId,
    about,
    version,
    timers,
    actor,
    now,
    outbox,
    streamRows,
    suggestResponses: options.suggestResponses ?? true,
    firstBody: options.create?.firstBody ?? null,
    routingRequested: false,
    pending: [],
  };

  for (const event of events) {
    const eventActor = options.actors?.[event.type] ?? actor;
    effects.actor = eventActor;
    const prior = { state, context: snapshot.context };
    const result = step(interactionMachine, snapshot, event);
    if (!result.handled) {
      // A new interaction must take its first events: it is written only with them.
      if (options.create) throw new Error(`a new interaction cannot take ${event.type} in state ${state}`);
      if (version === locked.version) return { handled: false, before, after: before };
      throw new SwitchboardError('INVALID_STATE', `interaction ${interactionId} is ${state}; ${event.type} does not apply`);
    }
    version += 1;
    snapshot = result.snapshot;
    const context = snapshot.context;
    const nextState = stageOf(snapshot.value);
    enteredQueue ||= nextState === 'queued' && state !== 'queued';
    state = nextState;
    path = statePath(snapshot.value);
    effects.version = version;
    await executeActions(effects, result.actions, context);
    openAlerts -= await observeInteractionTransition(
      tx,
      { interactionId, seq: version, eventType: event.type, actor: eventActor, now, before: prior, after: { state, context }, openAlerts },
      outbox,
    );
    rows.push({
      interaction_id: interactionId,
      seq: version,
      type: event.type,
      event,
      actor: eventActor,
      at: now,
      state,
      state_path: path,
      workgroup: context.workgroup,
      agent_id: context.agentId,
      priority: context.priority,
    });
  }

  // Routing asked for by a transition is moot when a later one of the same batch has left the queue
  // (a new interaction offered in its intake).
  if (effects.routingRequested && state === 'queued') outbox.push({ kind: 'route.interaction', payload: { interactionId } });
  const context = snapshot.context;
  const queuedAt = enteredQueue ? now : null;
  const closedAt = snapshot.status === 'done' ? now : null;
  const create = options.create;
  const persisted = persistSnapshot(snapshot);
  // The interaction's row (its new snapshot, with a version check), its event rows and its stream events, in one statement.
  const written = create
    ? tx`
      insert into interactions (id, reference, channel, state, state_path, snapshot, version, timers, next_timer_at, category, workgroup, skills, priority,
                                target_agent_id, agent_id, last_agent_id, declined_by, disposition, discard_reason,
                                from_address, to_address, subject, contact_id, created_at, updated_at, queued_at, closed_at)
      values (${interactionId}, ${about.reference}, ${context.channel}, ${state}, ${path}, ${tx.json(persisted as never)}, ${version},
              ${tx.json(timers as never)}, ${nextTimerAt(timers)}, ${context.category}, ${context.workgroup}, ${context.skills}, ${context.priority},
              ${context.targetAgentId}, ${context.agentId}, ${context.lastAgentId}, ${context.declinedBy}, ${context.disposition}, ${context.discardReason},
              ${about.from}, ${about.to}, ${about.subject}, ${about.contactId}, ${now}, ${now}, ${queuedAt}, ${closedAt})
      returning id, open_alerts`
    : tx`
      update interactions set
        snapshot = ${tx.json(persisted as never)}, version = ${version},
        state = ${state}, state_path = ${path}, timers = ${tx.json(timers as never)}, next_timer_at = ${nextTimerAt(timers)},
        category = ${context.category}, workgroup = ${context.workgroup}, skills = ${context.skills},
        priority = ${context.priority}, target_agent_id = ${context.targetAgentId}, agent_id = ${context.agentId},
        last_agent_id = ${context.lastAgentId}, declined_by = ${context.declinedBy}, disposition = ${context.disposition},
        discard_reason = ${context.discardReason}, updated_at = ${now},
        queued_at = coalesce(${queuedAt}::timestamptz, queued_at),
        closed_at = coalesce(${closedAt}::timestamptz, closed_at)
      where id = ${interactionId} and version = ${locked.version}
      returning id, open_alerts`;
  const streams =
    streamRows.length === 0
      ? tx``
      : tx`, streams as (
          insert into stream_events (user_id, type, data)
          select s.user_id, s.type, s.data from jsonb_to_recordset(${tx.json(streamRows as never)}) as s(user_id text, type text, data jsonb)
          where exists (select 1 from written)
        )`;
  const also = (create?.also?.(tx) ?? []).reduce((more, fragment, i) => tx`${more}, ${tx(`also${i}`)} as (${fragment})`, tx``);
  const statement = tx<{ written: number; open_alerts: number | null }[]>`
    with written as (${written}), events as (
      insert into interaction_events (interaction_id, seq, type, event, actor, at, state, state_path, workgroup, agent_id, priority)
      select e.interaction_id, e.seq, e.type, e.event, e.actor, e.at, e.state, e.state_path, e.workgroup, e.agent_id, e.priority
      from jsonb_to_recordset(${tx.json(rows as never)}) as e(interaction_id uuid, seq int, type text, event jsonb, actor text, at timestamptz,
                                                               state text, state_path text, workgroup text, agent_id text, priority int)
      where exists (select 1 from written)
    )${streams}${also}
    select count(*)::int as written, min(open_alerts) as open_alerts from written`;
  // Awaited with the writes the actions sent ahead (capacity given back): a failure among those, which
  // comes first, is the error reported, not the aborted transaction's that follows it.
  const [[result]] = await Promise.all([statement, ...effects.pending]);
  // A copy of the row (interaction-cache.ts) that another transaction has changed since: its version,
  // or its count of open alerts (which changes without the machine), no longer match.
  const cached = wasCached(tx, interactionId);
  if (cached && (result?.written !== 1 || result.open_alerts !== openAlerts)) throw staleCopy(tx, interactionId);
  if (result?.written !== 1) throw new SwitchboardError('CONFLICT', `interaction ${interactionId} changed concurrently`);
  // The row as written, for the next change this process makes to it (an interaction that is over is forgotten).
  noteWritten(
    tx,
    interactionId,
    snapshot.status === 'done'
      ? null
      : {
          snapshot: persisted,
          version,
          timers,
          state,
          state_path: path,
          reference: about.reference,
          from_address: about.from,
          to_address: about.to,
          subject: about.subject,
          contact_id: about.contactId,
          open_alerts: openAlerts,
        },
  );

  return {
    handled: true,
    before,
    after: { id: interactionId, state, statePath: path, version, context, timers },
  };
}

interface StreamRow {
  user_id: string;
  type: string;
  data: Record<string, unknown>;
}

/** What executing a transition's actions needs, and where it leaves what it writes with the interaction. */
interface Effects {
  tx: TransactionSql;
  interactionId: string;
  about: InteractionAbout;
  /** The version the transition being executed produces. */
  version: number;
  timers: Record<string, StoredTimer>;
  actor: string;
  now: Date;
  outbox: OutboxEntry[];
  /** Stream events, written with the interaction's row. */
  streamRows: StreamRow[];
  suggestResponses: boolean;
  /** While the interaction is being created (its row and first message not written yet), that message's body. */
  firstBody: string | null;
  /** A transition asked for the interaction to be routed (done once all events are applied). */
  routingRequested: boolean;
  /**
   * Writes sent and not yet awaited, whose results nothing in between needs (an agent's capacity given
   * back): they go out ahead of the interaction's statement, in its round trip, and are awaited with it.
   */
  pending: Promise<unknown>[];
}

/** Runs what one transition asked for: in-transaction effects now, the rest as outbox entries. */
async function executeActions(effects: Effects, actions: MachineAction[], context: InteractionContext): Promise<void> {
  const { tx, interactionId, version, timers, actor, now, outbox } = effects;
  for (const action of actions) {
    const params = action.params;
    switch (action.type) {
      case 'xstate.raise': {
        const timerId = String(params.id);
        const jobId = timerJobId(interactionId, timerId, version);
        const delayMs = Number(params.delay ?? 0);
        const hold = timerArmHold(delayMs);
        const fireAt = now.getTime() + delayMs;
        const event = params.event as Record<string, unknown>;
        timers[timerId] = { jobId, fireAt, event };
        outbox.push({
          kind: 'timer.arm',
          payload: { jobId, fireAt, target: { kind: 'interaction', id: interactionId }, event },
          ...(hold > 0 ? { delayMs: hold } : {}),
        });
        break;
      }
      case 'xstate.cancel': {
        const timerId = String(params.sendId);
        const armed = timers[timerId];
        if (armed !== undefined) {
          delete timers[timerId];
          outbox.push({ kind: 'timer.cancel', payload: { jobId: timerJob(armed) } });
        }
        break;
      }
      case 'requestRouting':
        effects.routingRequested = true;
        break;
      case 'releaseAgent': {
        const agentId = String(params.agentId);
        const released = releaseCapacity(tx, agentId, context.channel);
        // Awaited with the interaction's statement; should the transaction fail before, that failure is the one reported.
        released.catch(() => {});
        effects.pending.push(released);
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
          (row) => effects.streamRows.push(row),
        );
        break;
      case 'notifyAgent': {
        const notice = params.notice as AgentNotice;
        const { type, ...data } = notice;
        const agentId = String(params.agentId);
        const payload: Record<string, unknown> =
          notice.type === 'offer'
            ? { ...data, expiresAt: new Date(now.getTime() + notice.timeoutMs).toISOString(), ...(await offerDetails(effects, context)) }
            : data;
        effects.streamRows.push({ user_id: agentId, type, data: payload });
        noteStreamEvent(outbox, agentId);
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
