/** Side effects that leave a transaction: written with it, dispatched after it commits (at least once). */
import type { TransactionSql } from 'postgres';
import { mergeDeskChanges, type DeskChange, type DeskOutboxEntry } from '../desk/desk-outbox.ts';

type Entry =
  | { kind: 'timer.arm'; payload: { jobId: string; fireAt: number; target: TimerTarget; event: Record<string, unknown> } }
  | { kind: 'timer.cancel'; payload: { jobId: string } }
  | { kind: 'route.interaction'; payload: { interactionId: string } }
  | { kind: 'route.agent'; payload: { agentId: string } }
  | { kind: 'stream.notify'; payload: { userId: string } }
  | { kind: 'message.send'; payload: { messageId: string; channel: string } }
  | DeskOutboxEntry;

/** An outbox entry; `delayMs` holds its dispatch back (a retry that should not spin). */
export type OutboxEntry = Entry & { delayMs?: number };

export type OutboxKind = OutboxEntry['kind'];
export type TimerTarget = { kind: 'interaction'; id: string };

/**
 * The entries of transactions that commit together, with repeats folded: one desk change for all,
 * one stream notification per user, one routing request per agent and delay. Every other entry stays
 * as it is, in order.
 */
export function coalesceOutbox(entries: OutboxEntry[]): OutboxEntry[] {
  const result: OutboxEntry[] = [];
  const seen = new Set<string>();
  const deskChanges: DeskChange[] = [];
  for (const entry of entries) {
    if (entry.kind === 'desk.changed') {
      deskChanges.push(entry.payload);
      continue;
    }
    const key =
      entry.kind === 'stream.notify' ? `stream:${entry.payload.userId}` : entry.kind === 'route.agent' ? `agent:${entry.payload.agentId}:${entry.delayMs ?? 0}` : null;
    if (key !== null) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    result.push(entry);
  }
  if (deskChanges.length > 0) result.push({ kind: 'desk.changed', payload: mergeDeskChanges(deskChanges) });
  return result;
}

/** An outbox row claimed by a relay: by its claim, or written claimed by the transaction itself. */
export interface ClaimedOutboxRow {
  id: number;
  kind: OutboxEntry['kind'];
  payload: OutboxEntry['payload'];
  attempts: number;
}

/**
 * Writes the entries. With `leaseMs`, those due now are written claimed for that long (the caller
 * hands them to its relay after the commit) and returned; entries held back by `delayMs` never are.
 */
export async function writeOutbox(tx: TransactionSql, entries: OutboxEntry[], leaseMs: number | null = null): Promise<ClaimedOutboxRow[]> {
  if (entries.length === 0) return [];
  const now = Date.now();
  const claim = (entry: OutboxEntry) => leaseMs !== null && !entry.delayMs;
  const rows = entries.map((entry) => ({
    kind: entry.kind,
    payload: entry.payload as unknown as Record<string, unknown>,
    available_at: new Date(now + (claim(entry) ? (leaseMs ?? 0) : (entry.delayMs ?? 0))),
    attempts: claim(entry) ? 1 : 0,
  }));
  const written = await tx<{ id: string }[]>`insert into outbox ${tx(rows as never, 'kind', 'payload', 'available_at', 'attempts')} returning id`;
  // Postgres returns the rows of a multi-row VALUES insert in the order given.
  const claimed: ClaimedOutboxRow[] = [];
  entries.forEach((entry, i) => {
    const row = written[i];
    if (row && claim(entry)) claimed.push({ id: Number(row.id), kind: entry.kind, payload: entry.payload, attempts: 1 } as ClaimedOutboxRow);
  });
  return claimed;
}
