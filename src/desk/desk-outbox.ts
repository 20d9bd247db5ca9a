/**
 * The desk's outbox entries: queues or agents changed (coalesced into at most one supervisor snapshot
 * per workgroup and second) and interactions began something alerts watch (arm the alert timers), one
 * entry per transaction; and the configuration changed (tell every process).
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

export interface DeskChange {
  workgroups: string[];
  agents: string[];
  watches?: AlertWatchPayload[];
}

export type DeskOutboxEntry = { kind: 'desk.changed'; payload: DeskChange } | { kind: 'config.changed'; payload: { version: number } };

function deskEntry(outbox: { kind: string; payload: unknown }[]): Extract<DeskOutboxEntry, { kind: 'desk.changed' }> {
  let entry = outbox.find((e): e is Extract<DeskOutboxEntry, { kind: 'desk.changed' }> => e.kind === 'desk.changed');
  if (!entry) {
    entry = { kind: 'desk.changed', payload: { workgroups: [], agents: [] } };
    outbox.push(entry);
  }
  return entry;
}

/** Notes that workgroups' queues or agents changed. */
export function noteDeskChange(
  outbox: { kind: string; payload: unknown }[],
  workgroups: (string | null)[],
  agents: (string | null)[],
): void {
  const present = <T>(value: T | null): value is T => value !== null && value !== '';
  const entry = deskEntry(outbox);
  for (const workgroup of workgroups.filter(present)) if (!entry.payload.workgroups.includes(workgroup)) entry.payload.workgroups.push(workgroup);
  for (const agent of agents.filter(present)) if (!entry.payload.agents.includes(agent)) entry.payload.agents.push(agent);
}

/** Notes that an interaction began something alerts watch. */
export function noteWatch(outbox: { kind: string; payload: unknown }[], watch: AlertWatchPayload): void {
  const entry = deskEntry(outbox);
  (entry.payload.watches ??= []).push(watch);
}

/** One desk entry for several transactions' (a group commit's): the union of what they changed. */
export function mergeDeskChanges(changes: DeskChange[]): DeskChange {
  const workgroups = new Set<string>();
  const agents = new Set<string>();
  const watches: AlertWatchPayload[] = [];
  for (const change of changes) {
    for (const workgroup of change.workgroups) workgroups.add(workgroup);
    for (const agent of change.agents) agents.add(agent);
    watches.push(...(change.watches ?? []));
  }
  return { workgroups: [...workgroups], agents: [...agents], ...(watches.length > 0 ? { watches } : {}) };
}
