/**
 * Executes the agent presence machine: one event, one transaction (lock the agent row, transition,
 * store the snapshot and the event, publish the status on the agent's stream, ask for routing).
 */
import type { TransactionSql } from 'postgres';
import { agentPresenceMachine, type PresenceContext, type PresenceEvent, type PresenceStatus } from '../../machines/agent-presence.machine.ts';
import { noteDeskChange } from '../desk/desk-outbox.ts';
import { holdKey } from '../db/group-commit.ts';
import { SwitchboardError } from '../errors.ts';
import { keyOf } from './commit-keys.ts';
import { persistSnapshot, restoreSnapshot, step, type PersistedSnapshot } from './machine-step.ts';
import type { OutboxEntry } from './outbox.ts';
import { appendStreamEvent, noteStreamEvent } from './stream.ts';

export interface PresenceResult {
  handled: boolean;
  status: PresenceStatus;
  reason: string | null;
  since: string;
}

export async function applyPresenceEvent(
  tx: TransactionSql,
  agentId: string,
  event: PresenceEvent,
  actor: string,
  now: Date,
  outbox: OutboxEntry[],
  /** Where the status event goes when the caller writes stream events itself (an interaction's transition does, in order with its own). */
  streamEvents?: (event: { user_id: string; type: string; data: Record<string, unknown> }) => void,
): Promise<PresenceResult> {
  holdKey(tx, keyOf.agent(agentId));
  const [row] = await tx<{ snapshot: PersistedSnapshot; version: number; event_seq: number }[]>`
    select snapshot, version, event_seq from agents where id = ${agentId} for update`;
  if (!row) throw new SwitchboardError('UNKNOWN_AGENT', `unknown agent "${agentId}"`);
  const from = restoreSnapshot(agentPresenceMachine, row.snapshot);
  const result = step(agentPresenceMachine, from, event);
  const context = result.snapshot.context as PresenceContext;
  const status = result.snapshot.value as PresenceStatus;
  if (!result.handled) return { handled: false, status, reason: context.reason, since: context.since };

  for (const action of result.actions) {
    switch (action.type) {
      case 'notifyStatus': {
        const data = { status, reason: context.reason, since: context.since };
        if (streamEvents) {
          streamEvents({ user_id: agentId, type: 'status', data });
          noteStreamEvent(outbox, agentId);
        } else {
          await appendStreamEvent(tx, agentId, 'status', data, outbox);
        }
        break;
      }
      case 'requestRouting':
        outbox.push({ kind: 'route.agent', payload: { agentId } });
        break;
      default:
        throw new Error(`presence machine asked for unknown action ${action.type}`);
    }
  }
  const seq = row.event_seq + 1;
  const updated = await tx`
    update agents set snapshot = ${tx.json(persistSnapshot(result.snapshot) as never)}, version = version + 1, event_seq = ${seq},
      status = ${status}, reason = ${context.reason}, status_since = ${new Date(context.since)},
      cap_email = ${context.capacity.email}, cap_sms = ${context.capacity.sms},
      idle_since = case when ${status} = 'available' and status <> 'available' then ${now} else idle_since end
    where id = ${agentId} and version = ${row.version}`;
  if (updated.count !== 1) throw new SwitchboardError('CONFLICT', `agent ${agentId} changed concurrently`);
  await tx`
    insert into agent_events (agent_id, seq, type, event, actor, at, status, reason)
    values (${agentId}, ${seq}, ${event.type}, ${tx.json(event as never)}, ${actor}, ${now}, ${status}, ${context.reason})`;
  noteDeskChange(outbox, [], [agentId]);
  return { handled: true, status, reason: context.reason, since: context.since };
}
