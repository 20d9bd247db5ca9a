/**
 * What a supervisor does to interactions of the workgroups they supervise: change a queued one's
 * priority, reassign one to an agent or a workgroup (pulling it back from its agent first when it is
 * offered or active, which releases the agent), or just pull it back. Each is one transaction.
 */
import type { TransactionSql } from 'postgres';
import type { InteractionEvent } from '../../machines/interaction.types.ts';
import { keyOf, type Engine } from '../engine/engine.ts';
import { applyInteractionEvents, readForChange, type LockedInteraction, type TransitionResult } from '../engine/interaction-runtime.ts';
import type { OutboxEntry } from '../engine/outbox.ts';
import { SwitchboardError } from '../errors.ts';
import type { Caller } from '../http/auth.ts';
import { assertSupervises, supervisedWorkgroups } from './supervisor-scope.ts';

export type ReassignTarget = { agentId: string } | { workgroupId: string };

export class SupervisorActions {
  readonly #engine: Engine;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  setPriority(interactionId: string, caller: Caller, priority: number): Promise<TransitionResult> {
    return this.#engine.transaction(async (tx, outbox, now) => {
      const record = await this.#lockSupervised(tx, interactionId, caller);
      return apply(tx, record, [{ type: 'SET_PRIORITY', priority }], caller, now, outbox);
    }, [keyOf.interaction(interactionId)]);
  }

  reassign(interactionId: string, caller: Caller, to: ReassignTarget, reason = 'reassigned'): Promise<TransitionResult> {
    const config = this.#engine.config.current();
    return this.#engine.transaction(async (tx, outbox, now) => {
      if ('agentId' in to) {
        const [agent] = await tx`select id from agents a where id = ${to.agentId} and exists (select 1 from users u where u.id = a.id and u.role = 'agent')`;
        if (!agent) throw new SwitchboardError('UNKNOWN_AGENT', `unknown agent "${to.agentId}"`, [{ path: 'agentId', message: 'unknown agent' }]);
      } else if (!config.workgroups.some((w) => w.id === to.workgroupId)) {
        throw new SwitchboardError('UNKNOWN_WORKGROUP', `unknown workgroup "${to.workgroupId}"`, [{ path: 'workgroupId', message: 'unknown workgroup' }]);
      }
      const record = await this.#lockSupervised(tx, interactionId, caller);
      const category = config.categories.find((c) => c.id === record.context.category);
      const reassign: InteractionEvent = {
        type: 'REASSIGN',
        supervisorId: caller.id,
        toAgentId: 'agentId' in to ? to.agentId : null,
        toWorkgroupId: 'workgroupId' in to ? to.workgroupId : null,
        overflowAfterMs: category?.overflowAfter ?? record.context.overflowAfterMs,
      };
      const held = record.state === 'offered' || record.state === 'active';
      return apply(tx, record, held ? [{ type: 'REVOKE', reason }, reassign] : [reassign], caller, now, outbox);
    }, [keyOf.interaction(interactionId)]);
  }

  /** Pulls an offer or an active interaction back from its agent into the queue. */
  revoke(interactionId: string, caller: Caller, reason: string): Promise<TransitionResult> {
    return this.#engine.transaction(async (tx, outbox, now) => {
      const record = await this.#lockSupervised(tx, interactionId, caller);
      return apply(tx, record, [{ type: 'REVOKE', reason }], caller, now, outbox);
    }, [keyOf.interaction(interactionId)]);
  }

  async #lockSupervised(tx: TransactionSql, interactionId: string, caller: Caller): Promise<LockedInteraction> {
    const record = await readForChange(tx, interactionId);
    assertSupervises(supervisedWorkgroups(this.#engine.config.current(), caller), record.context.workgroup);
    return record;
  }
}

/** Applies the events in order (one transition each); refused when the first does not apply. */
async function apply(
  tx: TransactionSql,
  record: LockedInteraction,
  events: InteractionEvent[],
  caller: Caller,
  now: Date,
  outbox: OutboxEntry[],
): Promise<TransitionResult> {
  const result = await applyInteractionEvents(tx, record, events, `user:${caller.id}`, now, outbox);
  if (!result.handled) {
    throw new SwitchboardError('INVALID_STATE', `interaction ${record.id} is ${record.state}; ${events[0]?.type ?? 'this'} does not apply`);
  }
  return result;
}
