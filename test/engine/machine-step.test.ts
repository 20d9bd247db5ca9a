/**
 * The runtime steps machines with one inert scope per machine instead of XState's throwaway actor per
 * call: every step must give exactly what XState's own `initialTransition` and `transition` give.
 */
import { initialTransition, transition, type AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { agentPresenceMachine } from '../../machines/agent-presence.machine.ts';
import { interactionMachine } from '../../machines/interaction.machine.ts';
import type { InteractionEvent } from '../../machines/interaction.types.ts';
import { initialStep, step } from '../../src/engine/machine-step.ts';
import { categorize } from '../support/machine-events.ts';

const offer = (offerId: string, agentId: string): InteractionEvent => ({ type: 'OFFER', offerId, agentId, timeoutMs: 30_000, ronaPriorityIncrement: 5 });
const done = (agentId: string): InteractionEvent => ({ type: 'DONE', agentId, wrapUpTimeoutMs: 60_000, defaultDisposition: 'resolved' });

/** Histories that pass through every state and every kind of action (timers armed and cancelled, RONA, transfer, review, discard). */
const histories: InteractionEvent[][] = [
  [
    { type: 'ACKNOWLEDGE', sent: true },
    categorize(null),
    { type: 'ENQUEUE' },
    { type: 'timer.aging', agingSeq: 0 },
    offer('o1', 'alice'),
    { type: 'timer.offerTimeout', offerId: 'o1' },
    offer('o2', 'bob'),
    { type: 'DECLINE', agentId: 'bob' },
    // Neither Alice (she let it ring out) nor Bob (he declined) is offered it again.
    offer('o3', 'alice'),
    offer('o3', 'carol'),
    { type: 'ACCEPT', agentId: 'carol' },
    { type: 'CUSTOMER_MESSAGE', messageId: 'm-1' },
    { type: 'REVIEW_REQUESTED', agentId: 'carol', messageId: 'm-2', responseId: null },
    { type: 'REVIEW_APPROVED', supervisorId: 'sup', messageId: 'm-2', authorId: 'carol', edited: false },
    { type: 'REPLY', agentId: 'carol', messageId: 'm-3' },
    done('carol'),
    { type: 'timer.wrapUp', wrapUpSeq: 1 },
  ],
  [
    { type: 'ACKNOWLEDGE', sent: false },
    categorize('bob'),
    { type: 'ENQUEUE' },
    { type: 'timer.overflow', targetSeq: 0 },
    { type: 'SET_PRIORITY', priority: 50 },
    offer('o1', 'alice'),
    { type: 'ACCEPT', agentId: 'alice' },
    { type: 'TRANSFER', agentId: 'alice', toAgentId: 'carol', toWorkgroupId: null, priority: 40, overflowAfterMs: 60_000 },
    { type: 'REASSIGN', supervisorId: 'sup', toAgentId: null, toWorkgroupId: 'support', overflowAfterMs: 60_000 },
    offer('o2', 'dave'),
    { type: 'REVOKE', reason: 'supervisor' },
    offer('o3', 'erin'),
    { type: 'ACCEPT', agentId: 'erin' },
    done('erin'),
    { type: 'WRAP_UP', agentId: 'erin', disposition: 'follow_up' },
  ],
  [{ type: 'DISCARD', reason: 'auto_reply' }],
  // Events that do not apply change nothing, as with XState.
  [{ type: 'ACCEPT', agentId: 'alice' }, { type: 'ACKNOWLEDGE', sent: true }, { type: 'timer.offerTimeout', offerId: 'stale' }],
];

const actionsOf = (actions: { type: string; params?: unknown }[]) => actions.map((a) => ({ type: a.type, params: a.params ?? {} }));
const stateOf = (snapshot: { value: unknown; context: unknown; status: string }) => ({ value: snapshot.value, context: snapshot.context, status: snapshot.status });

function compare(machine: AnyStateMachine, input: unknown, events: unknown[]): number {
  const [theirs, theirActions] = initialTransition(machine, input as never);
  const [ours, ourActions] = initialStep(machine, input as never);
  expect(stateOf(ours)).toEqual(stateOf(theirs));
  expect(ourActions).toEqual(actionsOf(theirActions));
  let expected = theirs;
  let actual = ours;
  let handled = 0;
  for (const event of events) {
    const applies = expected.status === 'active' && expected.can(event as never);
    const [next, actions] = transition(machine, expected, event as never);
    const result = step(machine, actual, event as never);
    expect(result.handled).toBe(applies);
    if (applies) {
      handled += 1;
      expect(stateOf(result.snapshot)).toEqual(stateOf(next));
      expect(result.actions).toEqual(actionsOf(actions));
      expected = next;
    }
    actual = result.snapshot;
  }
  return handled;
}

describe('machine steps', () => {
  it('give what XState gives, snapshot and actions, through whole interaction histories', () => {
    const input = { id: 'i-1', channel: 'email' as const, reference: 7 };
    const handled = histories.map((events) => compare(interactionMachine, input, events));
    // Each history reaches its end (closed, closed, discarded); the refused events are the ones meant to be.
    expect(handled).toEqual([16, 15, 1, 1]);
  });

  it('give what XState gives for agent presence', () => {
    const input = { agentId: 'alice', capacity: { email: 3, sms: 2 }, at: '2026-01-01T00:00:00.000Z' };
    const handled = compare(agentPresenceMachine, input, [
      { type: 'GO_AVAILABLE', at: '2026-01-01T00:01:00.000Z' },
      { type: 'GO_NOT_READY', reason: 'Lunch', at: '2026-01-01T00:02:00.000Z' },
      { type: 'SET_CAPACITY', capacity: { email: 1, sms: 1 } },
      { type: 'GO_AVAILABLE', at: '2026-01-01T00:03:00.000Z' },
      { type: 'LOG_OUT', at: '2026-01-01T00:04:00.000Z' },
    ]);
    expect(handled).toBeGreaterThanOrEqual(4);
  });
});
