/**
 * The desk's outbox entries: a queue or agent changed (coalesced into at most one supervisor snapshot
 * per workgroup and second), an interaction began something alerts watch (arm the alert timers), the
 * configuration changed (tell every process).
 */
import type { AlertWatch } from './desk-config.ts';

export interface AlertWatchPayload {
  interactionId: string;
  watch: AlertWatch;
  stages: string[];
  /** The interaction event that began it, and when. */
  enteredSeq: number;
  enteredAt: number;
  channel: string;
  workgroup: string | null;
  category: string | null;
}

export type DeskOutboxEntry =
  | { kind: 'desk.changed'; payload: { workgroups: string[]; agents: string[] } }
  | { kind: 'alert.watch'; payload: AlertWatchPayload }
  | { kind: 'config.changed'; payload: { version: number } };

/** Notes that workgroups' queues or agents changed; one entry per transaction. */
export function noteDeskChange(
  outbox: { kind: string; payload: unknown }[],
  workgroups: (string | null)[],
  agents: (string | null)[],
): void {
  const present = <T>(value: T | null): value is T => value !== null && value !== '';
  let entry = outbox.find((e): e is Extract<DeskOutboxEntry, { kind: 'desk.changed' }> => e.kind === 'desk.changed');
  if (!entry) {
    entry = { kind: 'desk.changed', payload: { workgroups: [], agents: [] } };
    outbox.push(entry);
  }
  for (const workgroup of workgroups.filter(present)) if (!entry.payload.workgroups.includes(workgroup)) entry.payload.workgroups.push(workgroup);
  for (const agent of agents.filter(present)) if (!entry.payload.agents.includes(agent)) entry.payload.agents.push(agent);
}
