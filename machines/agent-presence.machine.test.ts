import { initialTransition, transition } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { agentPresenceMachine, type PresenceEvent } from './agent-presence.machine.ts';

const input = { agentId: 'alice', capacity: { email: 3, sms: 2 }, at: '2026-01-01T00:00:00.000Z' };
const events: PresenceEvent[] = [
  { type: 'GO_AVAILABLE', at: '2026-01-01T00:01:00.000Z' },
  { type: 'GO_NOT_READY', reason: 'Lunch', at: '2026-01-01T00:02:00.000Z' },
  { type: 'LOG_OUT', at: '2026-01-01T00:03:00.000Z' },
  { type: 'SET_CAPACITY', capacity: { email: 1, sms: 1 } },
];

describe('agent presence machine', () => {
  it('reaches every status', () => {
    const paths = getShortestPaths(agentPresenceMachine, { input, events, serializeState: (s) => String(s.value) });
    expect(new Set(paths.map((p) => String(p.state.value)))).toEqual(new Set(['logged_out', 'available', 'not_ready']));
  });

  it('records the reason and when each status began, and asks for work when available', () => {
    let [snapshot] = initialTransition(agentPresenceMachine, input);
    let actions;
    [snapshot, actions] = transition(agentPresenceMachine, snapshot, events[0]!);
    expect(snapshot.value).toBe('available');
    expect(snapshot.context.since).toBe('2026-01-01T00:01:00.000Z');
    expect(actions.map((a) => a.type)).toEqual(['notifyStatus', 'requestRouting']);
    [snapshot] = transition(agentPresenceMachine, snapshot, events[1]!);
    expect(snapshot.context).toMatchObject({ reason: 'Lunch', since: '2026-01-01T00:02:00.000Z' });
    [snapshot, actions] = transition(agentPresenceMachine, snapshot, { type: 'GO_NOT_READY', reason: 'Meeting', at: '2026-01-01T00:05:00.000Z' });
    expect(snapshot.context).toMatchObject({ reason: 'Meeting', since: '2026-01-01T00:05:00.000Z' });
    expect(actions.map((a) => a.type)).toEqual(['notifyStatus']);
    [snapshot] = transition(agentPresenceMachine, snapshot, events[3]!);
    expect(snapshot.context.capacity).toEqual({ email: 1, sms: 1 });
  });
});
