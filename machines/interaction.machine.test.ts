import { initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getStateNodes } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { interactionMachine, statePath } from './interaction.machine.ts';
import type { InteractionContext, InteractionEvent } from './interaction.types.ts';
import { categorize } from '../test/support/machine-events.ts';

type Snapshot = ReturnType<typeof initialTransition<typeof interactionMachine>>[0];

const input = { id: 'i-1', channel: 'email' as const, reference: 7 };

/** Every event worth trying from a snapshot, built from its context so guards can pass or fail. */
function eventsFor(snapshot: Snapshot): InteractionEvent[] {
  const c = snapshot.context as InteractionContext;
  const holder = c.agentId ?? 'alice';
  return [
    { type: 'ACKNOWLEDGE', sent: true },
    categorize(null),
    categorize('bob'),
    { type: 'ENQUEUE' },
    { type: 'DISCARD', reason: 'auto_reply' },
    { type: 'OFFER', offerId: `offer-${c.transfers}-${c.declinedBy.length}`, agentId: c.targetAgentId ?? 'alice', timeoutMs: 30_000, ronaPriorityIncrement: 5 },
    { type: 'ACCEPT', agentId: holder },
    { type: 'DECLINE', agentId: holder },
    { type: 'REVOKE', reason: 'supervisor' },
    { type: 'REPLY', agentId: holder, messageId: 'm-1' },
    { type: 'REVIEW_REQUESTED', agentId: holder, messageId: 'm-3', responseId: null },
    { type: 'REVIEW_APPROVED', supervisorId: 'sup', messageId: 'm-3', authorId: holder, edited: true },
    { type: 'REVIEW_REJECTED', supervisorId: 'sup', messageId: 'm-3', authorId: holder, comment: 'too curt' },
    { type: 'REASSIGN', supervisorId: 'sup', toAgentId: 'carol', toWorkgroupId: null, overflowAfterMs: 60_000 },
    { type: 'REASSIGN', supervisorId: 'sup', toAgentId: null, toWorkgroupId: 'billing', overflowAfterMs: 60_000 },
    { type: 'CUSTOMER_MESSAGE', messageId: 'm-2' },
    { type: 'TRANSFER', agentId: holder, toAgentId: 'carol', toWorkgroupId: null, priority: 50, overflowAfterMs: 60_000 },
    { type: 'TRANSFER', agentId: holder, toAgentId: null, toWorkgroupId: 'billing', priority: 50, overflowAfterMs: 60_000 },
    { type: 'SET_PRIORITY', priority: 99 },
    { type: 'DONE', agentId: holder, wrapUpTimeoutMs: 60_000, defaultDisposition: 'resolved' },
    { type: 'WRAP_UP', agentId: holder, disposition: 'follow_up' },
    { type: 'timer.offerTimeout', offerId: c.offerId ?? 'none' },
    { type: 'timer.overflow', targetSeq: c.targetSeq },
    { type: 'timer.aging', agingSeq: c.agingSeq },
    { type: 'timer.wrapUp', wrapUpSeq: c.wrapUpSeq },
  ];
}

// Keep the graph finite: a state is its path plus whether it is targeted and whether a reply awaits review.
const serializeState = (snapshot: Snapshot) => {
  const context = snapshot.context as InteractionContext;
  return `${statePath(snapshot.value)}|${context.targetAgentId === null ? 'open' : 'targeted'}|${context.pendingReviews.length > 0 ? 'review' : ''}`;
};

function run(events: InteractionEvent[], targeted = false) {
  let [snapshot] = initialTransition(interactionMachine, input);
  const all: { type: string; params: Record<string, unknown> }[][] = [];
  const prelude: InteractionEvent[] = [{ type: 'ACKNOWLEDGE', sent: false }, categorize(targeted ? 'bob' : null), { type: 'ENQUEUE' }];
  for (const event of [...prelude, ...events]) {
    const [next, actions] = transition(interactionMachine, snapshot, event);
    snapshot = next;
    all.push(actions.map((a) => ({ type: a.type, params: (a.params ?? {}) as Record<string, unknown> })));
  }
  return { snapshot, actions: all.at(-1) ?? [], context: snapshot.context as InteractionContext };
}

describe('interaction machine', () => {
  const paths = getShortestPaths(interactionMachine, {
    input,
    events: eventsFor,
    serializeState: (snapshot) => serializeState(snapshot as Snapshot),
  });

  it('reaches every state node by some path', () => {
    const reached = new Set(paths.flatMap((p) => p.steps.map((s) => statePath(s.state.value))));
    const leaves = getStateNodes(interactionMachine)
      .filter((node) => node.type === 'atomic' || node.type === 'final')
      .map((node) => node.path.join('.'))
      // `queued.routing` is transient: it always moves on, to queued.targeted when targeted.
      .filter((path) => path !== 'queued.routing');
    for (const leaf of leaves) {
      const ok = [...reached].some((state) => state === leaf || (leaf.startsWith('queued') && state === leaf));
      expect(ok, `state ${leaf} reached`).toBe(true);
    }
  });

  it('takes every declared transition somewhere in the graph', () => {
    const adjacency = getAdjacencyMap(interactionMachine, {
      input,
      events: eventsFor,
      serializeState: (snapshot) => serializeState(snapshot as Snapshot),
    });
    const taken = new Set<string>();
    for (const { state, transitions } of Object.values(adjacency)) {
      for (const transition of Object.values(transitions)) {
        const event = (transition as { event: InteractionEvent }).event;
        if ((state as Snapshot).can(event)) taken.add(`${statePath(state.value)}:${event.type}`);
      }
    }
    // Each (state, event) the chart declares, checked against the traversal.
    const declared = [
      'received:ACKNOWLEDGE', 'received:DISCARD', 'acknowledged:CATEGORIZE', 'acknowledged:DISCARD',
      'categorized:ENQUEUE', 'categorized:DISCARD', 'queued.routing:OFFER', 'queued.routing:DISCARD',
      'queued.targeted:timer.overflow', 'queued.targeted:OFFER',
      'assigned.offered:ACCEPT', 'assigned.offered:DECLINE', 'assigned.offered:timer.offerTimeout', 'assigned.offered:REVOKE',
      'assigned.active:TRANSFER', 'assigned.active:REVOKE', 'assigned.active:DONE',
      'assigned.wrapUp:WRAP_UP', 'assigned.wrapUp:timer.wrapUp',
      'queued.routing:SET_PRIORITY', 'queued.routing:REASSIGN', 'queued.targeted:REASSIGN',
      'assigned.active:REVIEW_REQUESTED', 'assigned.active:REVIEW_APPROVED', 'assigned.active:REVIEW_REJECTED',
      'queued.routing:REVIEW_APPROVED', 'queued.targeted:REVIEW_REJECTED',
    ];
    for (const edge of declared) expect(taken.has(edge), `transition ${edge}`).toBe(true);
  });

  it('arms the offer timer on offer and cancels it on accept', () => {
    const offered = run([{ type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 30_000, ronaPriorityIncrement: 5 }]);
    expect(offered.actions).toContainEqual({ type: 'xstate.raise', params: { event: { type: 'timer.offerTimeout', offerId: 'o1' }, id: 'offerTimeout', delay: 30_000 } });
    expect(offered.actions.find((a) => a.type === 'notifyAgent')?.params).toMatchObject({ agentId: 'alice', notice: { type: 'offer', offerId: 'o1' } });
    const accepted = run([
      { type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 30_000, ronaPriorityIncrement: 5 },
      { type: 'ACCEPT', agentId: 'alice' },
    ]);
    expect(accepted.actions).toContainEqual({ type: 'xstate.cancel', params: { sendId: 'offerTimeout' } });
    expect(accepted.context.lastAgentId).toBe('alice');
  });

  it('on no answer: back to the queue, priority raised, agent released and set not ready', () => {
    const rona = run([
      { type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 30_000, ronaPriorityIncrement: 5 },
      { type: 'timer.offerTimeout', offerId: 'o1' },
    ]);
    expect(statePath(rona.snapshot.value)).toBe('queued.routing');
    expect(rona.context.priority).toBe(15);
    const types = rona.actions.map((a) => a.type);
    expect(types).toEqual(expect.arrayContaining(['releaseAgent', 'setAgentNotReady', 'notifyAgent', 'requestRouting']));
    expect(rona.actions.find((a) => a.type === 'setAgentNotReady')?.params).toEqual({ agentId: 'alice', reason: 'No answer' });
    expect(rona.context.declinedBy).toEqual(['alice']);
  });

  it('ignores stale timers', () => {
    const offer = (offerId: string, agentId = 'alice'): InteractionEvent => ({ type: 'OFFER', offerId, agentId, timeoutMs: 1, ronaPriorityIncrement: 5 });
    // An offer timeout for an earlier offer does nothing to the current one.
    const { snapshot } = run([offer('o1'), { type: 'DECLINE', agentId: 'alice' }, offer('o2', 'bob')]);
    expect(snapshot.can({ type: 'timer.offerTimeout', offerId: 'o1' })).toBe(false);
    expect(snapshot.can({ type: 'timer.offerTimeout', offerId: 'o2' })).toBe(true);
    // An overflow armed for an earlier target, an aging tick already applied, a wrap-up from before.
    const targeted = run([], true).snapshot;
    expect(targeted.can({ type: 'timer.overflow', targetSeq: 99 })).toBe(false);
    expect(targeted.can({ type: 'timer.aging', agingSeq: 5 })).toBe(false);
    const aged = run([{ type: 'timer.aging', agingSeq: 0 }]);
    expect(aged.context.priority).toBe(12);
    expect(aged.snapshot.can({ type: 'timer.aging', agingSeq: 0 })).toBe(false);
    const accepted = run([offer('o1'), { type: 'ACCEPT', agentId: 'alice' }]).snapshot;
    expect(accepted.can({ type: 'timer.offerTimeout', offerId: 'o1' })).toBe(false);
    expect(accepted.can({ type: 'timer.wrapUp', wrapUpSeq: 0 })).toBe(false);
  });

  it('only offers a targeted interaction to its agent until it overflows', () => {
    const { snapshot } = run([], true);
    expect(statePath(snapshot.value)).toBe('queued.targeted');
    expect(snapshot.can({ type: 'OFFER', offerId: 'o', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 })).toBe(false);
    expect(snapshot.can({ type: 'OFFER', offerId: 'o', agentId: 'bob', timeoutMs: 1, ronaPriorityIncrement: 0 })).toBe(true);
    const overflowed = run([{ type: 'timer.overflow', targetSeq: 0 }], true);
    expect(overflowed.context.targetAgentId).toBeNull();
    expect(overflowed.snapshot.can({ type: 'OFFER', offerId: 'o', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 })).toBe(true);
  });

  it('does not re-offer to an agent who declined', () => {
    const { snapshot } = run([
      { type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 },
      { type: 'DECLINE', agentId: 'alice' },
    ]);
    expect(snapshot.can({ type: 'OFFER', offerId: 'o2', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 })).toBe(false);
  });

  it('transfers set the transfer priority and target', () => {
    const toAgent = run([
      { type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 },
      { type: 'ACCEPT', agentId: 'alice' },
      { type: 'TRANSFER', agentId: 'alice', toAgentId: 'carol', toWorkgroupId: null, priority: 50, overflowAfterMs: 1_000 },
    ]);
    expect(statePath(toAgent.snapshot.value)).toBe('queued.targeted');
    expect(toAgent.context).toMatchObject({ priority: 50, targetAgentId: 'carol', transfers: 1, agentId: null, lastAgentId: 'alice' });
    const both = run([
      { type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 },
      { type: 'ACCEPT', agentId: 'alice' },
    ]).snapshot;
    expect(both.can({ type: 'TRANSFER', agentId: 'alice', toAgentId: 'carol', toWorkgroupId: 'x', priority: 1, overflowAfterMs: 1 })).toBe(false);
    expect(both.can({ type: 'TRANSFER', agentId: 'bob', toAgentId: 'carol', toWorkgroupId: null, priority: 1, overflowAfterMs: 1 })).toBe(false);
  });

  it('wrap-up closes with the chosen disposition, or the default when it times out', () => {
    const base: InteractionEvent[] = [
      { type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 },
      { type: 'ACCEPT', agentId: 'alice' },
      { type: 'DONE', agentId: 'alice', wrapUpTimeoutMs: 1_000, defaultDisposition: 'resolved' },
    ];
    const chosen = run([...base, { type: 'WRAP_UP', agentId: 'alice', disposition: 'follow_up' }]);
    expect(chosen.snapshot.status).toBe('done');
    expect(chosen.context.disposition).toBe('follow_up');
    expect(chosen.actions.map((a) => a.type)).toContain('releaseAgent');
    const timedOut = run([...base, { type: 'timer.wrapUp', wrapUpSeq: 1 }]);
    expect(timedOut.context.disposition).toBe('resolved');
  });

  const accepted: InteractionEvent[] = [
    { type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 },
    { type: 'ACCEPT', agentId: 'alice' },
  ];

  it('holds a reviewed reply until a supervisor approves it, then sends it; the interaction stays where it is', () => {
    const requested = run([...accepted, { type: 'REVIEW_REQUESTED', agentId: 'alice', messageId: 'm1', responseId: 'greeting' }]);
    expect(statePath(requested.snapshot.value)).toBe('assigned.active');
    expect(requested.context.pendingReviews).toEqual(['m1']);
    expect(requested.actions.map((a) => a.type)).not.toContain('sendMessage');
    // Not done while a reply waits; another agent cannot ask for a review on it.
    expect(requested.snapshot.can({ type: 'DONE', agentId: 'alice', wrapUpTimeoutMs: 1, defaultDisposition: 'resolved' })).toBe(false);
    expect(requested.snapshot.can({ type: 'REVIEW_REQUESTED', agentId: 'bob', messageId: 'm2' })).toBe(false);
    // A decision on a reply that does not wait is refused.
    expect(requested.snapshot.can({ type: 'REVIEW_APPROVED', supervisorId: 'sup', messageId: 'other', authorId: 'alice', edited: false })).toBe(false);

    const approved = run([
      ...accepted,
      { type: 'REVIEW_REQUESTED', agentId: 'alice', messageId: 'm1' },
      { type: 'REVIEW_APPROVED', supervisorId: 'sup', messageId: 'm1', authorId: 'alice', edited: true },
    ]);
    expect(statePath(approved.snapshot.value)).toBe('assigned.active');
    expect(approved.context).toMatchObject({ pendingReviews: [], replies: 1 });
    expect(approved.actions).toContainEqual({ type: 'sendMessage', params: { messageId: 'm1' } });
    expect(approved.actions.find((a) => a.type === 'notifyAgent')?.params).toEqual({
      agentId: 'alice',
      notice: { type: 'review_approved', interactionId: 'i-1', messageId: 'm1', edited: true },
    });
    expect(approved.snapshot.can({ type: 'DONE', agentId: 'alice', wrapUpTimeoutMs: 1, defaultDisposition: 'resolved' })).toBe(true);
  });

  it('returns a rejected reply to its author with the comment, sending nothing, also after the interaction moved', () => {
    const rejected = run([
      ...accepted,
      { type: 'REVIEW_REQUESTED', agentId: 'alice', messageId: 'm1' },
      { type: 'REVOKE', reason: 'supervisor' },
      { type: 'REVIEW_REJECTED', supervisorId: 'sup', messageId: 'm1', authorId: 'alice', comment: 'Please add the tracking link' },
    ]);
    expect(statePath(rejected.snapshot.value)).toBe('queued.routing');
    expect(rejected.context.pendingReviews).toEqual([]);
    expect(rejected.actions.map((a) => a.type)).toEqual(['notifyAgent']);
    expect(rejected.actions[0]?.params).toEqual({
      agentId: 'alice',
      notice: { type: 'review_rejected', interactionId: 'i-1', messageId: 'm1', comment: 'Please add the tracking link' },
    });
  });

  it('reassigns a queued interaction to an agent or a workgroup, re-arming the queue', () => {
    const toAgent = run([{ type: 'REASSIGN', supervisorId: 'sup', toAgentId: 'carol', toWorkgroupId: null, overflowAfterMs: 5_000 }]);
    expect(statePath(toAgent.snapshot.value)).toBe('queued.targeted');
    expect(toAgent.context).toMatchObject({ targetAgentId: 'carol', targetSeq: 1, overflowAfterMs: 5_000, workgroup: 'support' });
    const types = toAgent.actions.map((a) => a.type);
    expect(types).toEqual(expect.arrayContaining(['xstate.cancel', 'xstate.raise', 'requestRouting']));
    expect(toAgent.actions).toContainEqual({ type: 'xstate.raise', params: { event: { type: 'timer.overflow', targetSeq: 1 }, id: 'overflow', delay: 5_000 } });

    const toGroup = run([{ type: 'REASSIGN', supervisorId: 'sup', toAgentId: null, toWorkgroupId: 'billing', overflowAfterMs: 5_000 }], true);
    expect(statePath(toGroup.snapshot.value)).toBe('queued.routing');
    expect(toGroup.context).toMatchObject({ targetAgentId: null, workgroup: 'billing' });
    // The overflow armed for the earlier target is stale now.
    expect(toGroup.snapshot.can({ type: 'timer.overflow', targetSeq: 0 })).toBe(false);
    expect(toGroup.snapshot.can({ type: 'REASSIGN', supervisorId: 'sup', toAgentId: 'x', toWorkgroupId: 'y', overflowAfterMs: 1 })).toBe(false);
    const offered = run([{ type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 }]).snapshot;
    expect(offered.can({ type: 'REASSIGN', supervisorId: 'sup', toAgentId: null, toWorkgroupId: 'billing', overflowAfterMs: 1 })).toBe(false);
  });

  it('pulls an interaction back from its agent, who is not offered it again until it is reassigned', () => {
    const pulled = run([...accepted, { type: 'REVOKE', reason: 'supervisor' }]);
    expect(statePath(pulled.snapshot.value)).toBe('queued.routing');
    expect(pulled.context).toMatchObject({ agentId: null, declinedBy: ['alice'] });
    expect(pulled.actions.map((a) => a.type)).toEqual(expect.arrayContaining(['releaseAgent', 'notifyAgent', 'requestRouting']));
    expect(pulled.snapshot.can({ type: 'OFFER', offerId: 'o2', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 0 })).toBe(false);
    const priority = run([...accepted, { type: 'REVOKE', reason: 'supervisor' }, { type: 'SET_PRIORITY', priority: 70 }]);
    expect(priority.context.priority).toBe(70);
  });

  it('is pure: the same events give the same snapshot', () => {
    const events: InteractionEvent[] = [
      { type: 'OFFER', offerId: 'o1', agentId: 'alice', timeoutMs: 1, ronaPriorityIncrement: 3 },
      { type: 'timer.offerTimeout', offerId: 'o1' },
    ];
    expect(JSON.stringify(run(events).snapshot.context)).toBe(JSON.stringify(run(events).snapshot.context));
  });
});
