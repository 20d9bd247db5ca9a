/**
 * Replays an interaction's stored event log through the machine (this one, or another version of it)
 * and reports each step and whether the result equals what was stored.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Sql } from 'postgres';
import type { AnyStateMachine } from 'xstate';
import { interactionMachine, statePath } from '../../machines/interaction.machine.ts';
import { initialStep, persistSnapshot, step } from '../engine/machine-step.ts';

export interface ReplayStep {
  seq: number;
  type: string;
  storedState: string;
  replayedState: string;
  handled: boolean;
  matches: boolean;
}

export interface ReplayReport {
  interactionId: string;
  consistent: boolean;
  steps: ReplayStep[];
  /** The first step whose replayed state differs from the stored one, if any. */
  divergedAt: ReplayStep | null;
  snapshotMatches: boolean;
}

interface StoredEvent {
  seq: number;
  type: string;
  event: Record<string, unknown> & { input?: unknown };
  state_path: string;
}

export function replayEvents(
  interactionId: string,
  events: StoredEvent[],
  stored: { value: unknown; context: unknown } | null,
  machine: AnyStateMachine = interactionMachine,
): ReplayReport {
  const [first, ...rest] = events;
  if (!first || first.type !== 'xstate.init') {
    return { interactionId, consistent: false, steps: [], divergedAt: null, snapshotMatches: false };
  }
  let [snapshot] = initialStep(machine, first.event.input as never);
  const steps: ReplayStep[] = [
    { seq: first.seq, type: first.type, storedState: first.state_path, replayedState: statePath(snapshot.value), handled: true, matches: statePath(snapshot.value) === first.state_path },
  ];
  for (const stored of rest) {
    const result = step(machine, snapshot, stored.event as never);
    snapshot = result.snapshot;
    const replayedState = statePath(snapshot.value);
    steps.push({
      seq: stored.seq,
      type: stored.type,
      storedState: stored.state_path,
      replayedState,
      handled: result.handled,
      // Every stored event changed the interaction when it was applied; one the machine now refuses diverges.
      matches: result.handled && replayedState === stored.state_path,
    });
  }
  const final = persistSnapshot(snapshot as never);
  const snapshotMatches =
    stored !== null && isDeepStrictEqual(JSON.parse(JSON.stringify({ value: final.value, context: final.context })), JSON.parse(JSON.stringify({ value: stored.value, context: stored.context })));
  const divergedAt = steps.find((s) => !s.matches) ?? null;
  return { interactionId, consistent: divergedAt === null && snapshotMatches, steps, divergedAt, snapshotMatches };
}

export async function replayInteraction(sql: Sql, interactionId: string, machine?: AnyStateMachine): Promise<ReplayReport> {
  const events = await sql<StoredEvent[]>`
    select seq, type, event, state_path from interaction_events where interaction_id = ${interactionId} order by seq`;
  const [row] = await sql<{ snapshot: { value: unknown; context: unknown } }[]>`select snapshot from interactions where id = ${interactionId}`;
  return replayEvents(interactionId, events, row?.snapshot ?? null, machine);
}
