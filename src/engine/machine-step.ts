/**
 * Runs one event through a pure machine from a persisted snapshot: XState v5's `transition()`
 * returns the next snapshot and the actions it asks for; the caller executes them.
 */
import { transition, type AnyStateMachine, type EventFromLogic, type SnapshotFrom } from 'xstate';

export interface PersistedSnapshot {
  value: unknown;
  context: Record<string, unknown>;
  status?: string;
}

export interface MachineAction {
  type: string;
  params: Record<string, unknown>;
}

export interface Step<TMachine extends AnyStateMachine> {
  handled: boolean;
  snapshot: SnapshotFrom<TMachine>;
  actions: MachineAction[];
}

export function restoreSnapshot<TMachine extends AnyStateMachine>(machine: TMachine, persisted: PersistedSnapshot): SnapshotFrom<TMachine> {
  return machine.resolveState({ value: persisted.value, context: persisted.context } as never) as SnapshotFrom<TMachine>;
}

export function persistSnapshot(snapshot: { value: unknown; context: unknown; status: string }): PersistedSnapshot {
  return { value: snapshot.value, context: snapshot.context as Record<string, unknown>, status: snapshot.status };
}

export function step<TMachine extends AnyStateMachine>(
  machine: TMachine,
  from: SnapshotFrom<TMachine>,
  event: EventFromLogic<TMachine>,
): Step<TMachine> {
  const snapshot = from as unknown as { can(event: unknown): boolean; status: string };
  if (snapshot.status !== 'active' || !snapshot.can(event)) {
    return { handled: false, snapshot: from, actions: [] };
  }
  const [next, actions] = transition(machine, from as never, event as never);
  return {
    handled: true,
    snapshot: next as SnapshotFrom<TMachine>,
    actions: actions.map((action) => ({ type: action.type, params: (action.params ?? {}) as Record<string, unknown> })),
  };
}
