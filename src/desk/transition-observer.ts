/**
 * What the desk does inside every interaction transition's transaction: clear the alerts of an item
 * that moved, arm the alert timers of a watch that began (through the outbox), and note the queues and
 * agents that changed for the supervisors' stream.
 */
import type { TransactionSql } from 'postgres';
import type { InteractionContext } from '../../machines/interaction.types.ts';
import type { OutboxEntry } from '../engine/outbox.ts';
import { WATCH_STAGES, watchesBegun, watchesEnded } from './alert-watches.ts';
import { noteDeskChange, noteWatch } from './desk-outbox.ts';
import { appendSupervisorEvent } from './supervisor-stream.ts';

export interface ObservedTransition {
  interactionId: string;
  seq: number;
  eventType: string;
  actor: string;
  now: Date;
  before: { state: string; context: InteractionContext };
  after: { state: string; context: InteractionContext };
  /** How many of the interaction's alerts are open (interactions.open_alerts, as this transaction has it). */
  openAlerts: number;
}

/** Returns how many alerts the transition cleared. */
export async function observeInteractionTransition(tx: TransactionSql, change: ObservedTransition, outbox: OutboxEntry[]): Promise<number> {
  const { before, after } = change;
  let clearedCount = 0;
  // Alerts can be open only on watches the interaction leaves now (and only when it has some).
  if (change.openAlerts > 0 && watchesEnded(before.state, after.state)) {
    const cleared = await tx<{ id: string; rule_id: string; watch: string; workgroup: string | null }[]>`
      with cleared as (
        update desk_alerts set cleared_at = ${change.now}, cleared_by = ${change.eventType}, cleared_by_actor = ${change.actor}
        where interaction_id = ${change.interactionId} and cleared_at is null and not (${after.state} = any(stages))
        returning id, rule_id, watch, workgroup
      ), counted as (
        update interactions set open_alerts = greatest(open_alerts - (select count(*) from cleared), 0) where id = ${change.interactionId}
      )
      select id, rule_id, watch, workgroup from cleared`;
    clearedCount = cleared.length;
    for (const alert of cleared) {
      await appendSupervisorEvent(
        tx,
        'alert_cleared',
        { alertId: alert.id, ruleId: alert.rule_id, watch: alert.watch, interactionId: change.interactionId, workgroup: alert.workgroup, by: change.eventType, state: after.state },
        outbox,
      );
    }
  }
  for (const watch of watchesBegun(before, after)) {
    noteWatch(outbox, {
      interactionId: change.interactionId,
      watch,
      stages: [...WATCH_STAGES[watch]],
      enteredSeq: change.seq,
      enteredAt: change.now.getTime(),
      channel: after.context.channel,
      workgroup: after.context.workgroup,
      category: after.context.category,
    });
  }
  const b = before.context;
  const a = after.context;
  if (
    before.state !== after.state ||
    b.priority !== a.priority ||
    b.workgroup !== a.workgroup ||
    b.targetAgentId !== a.targetAgentId ||
    b.agentId !== a.agentId
  ) {
    noteDeskChange(outbox, [b.workgroup, a.workgroup], [b.agentId, a.agentId]);
  }
  return clearedCount;
}
