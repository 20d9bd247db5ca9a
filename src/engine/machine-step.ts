/**
 * Runs one event through a pure machine from a persisted snapshot: XState v5's `transition()`
 * returns the next snapshot and the actions it asks for; the caller executes them.
 */
import { createActor, type AnyActorScope, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';

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

/**
 * XState's `transition()` and `initialTransition()` build a throwaway actor on every call, and an
 * actor computes its machine's initial state when it is built (here without input, which the context
 * factory refuses with an exception XState catches): several times the cost of the transition itself.
 * The scope they build is inert (actions are collected, never executed) and keeps nothing from one
 * call to the next, so one per machine serves every call. Transitions are synchronous, so a call's
 * collector is in place for exactly that call. This holds for machines that neither spawn nor invoke
 * actors (the runtime executes everything the machines ask for), as ours.
 */
const inertScopes = new WeakMap<AnyStateMachine, AnyActorScope>();

function inertScope(machine: AnyStateMachine): AnyActorScope {
  let scope = inertScopes.get(machine);
  if (!scope) {
    const self = createActor(machine);
    scope = {
      self,
      id: '',
      sessionId: '',
      system: self.system,
      logger: () => {},
      defer: () => {},
      emit: () => {},
      stopChild: () => {},
      actionExecutor: () => {},
    } as unknown as AnyActorScope;
    inertScopes.set(machine, scope);
  }
  return scope;
}

interface ExecutableAction {
  type: string;
  params?: unknown;
}

function collecting<T>(machine: AnyStateMachine, run: (scope: AnyActorScope) => T): [T, ExecutableAction[]] {
  const scope = inertScope(machine);
  const actions: ExecutableAction[] = [];
  scope.actionExecutor = (action) => void actions.push(action as ExecutableAction);
  try {
    return [run(scope), actions];
  } finally {
    scope.actionExecutor = () => {};
  }
}

/** The machine's first snapshot for this input and the actions it asks for (as XState's `initialTransition`). */
export function initialStep<TMachine extends AnyStateMachine>(machine: TMachine, input: InputFrom<TMachine>): [SnapshotFrom<TMachine>, MachineAction[]] {
  const [snapshot, actions] = collecting(machine, (scope) => machine.getInitialSnapshot(scope, input) as SnapshotFrom<TMachine>);
  return [snapshot, actions.map(toMachineAction)];
}

function toMachineAction(action: ExecutableAction): MachineAction {
  return { type: action.type, params: (action.params ?? {}) as Record<string, unknown> };
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
  const [next, actions] = collecting(machine, (scope) => machine.transition(from, event, scope) as SnapshotFrom<TMachine>);
  return { handled: true, snapshot: next, actions: actions.map(toMachineAction) };
}
