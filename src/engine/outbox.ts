/** Side effects that leave a transaction: written with it, dispatched after it commits (at least once). */
import type { Row, TransactionSql } from 'postgres';
import type { FinalWrite } from '../db/transaction.ts';
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
 * Timers due in a while are armed a little late. Most are cancelled soon after they are set (a queued
 * interaction routed, an offer accepted, a wrap-up finished), and a cancel that finds its timer's
 * arming still held back in the outbox takes both out (`outboxWrite`), so neither reaches Redis. A
 * timer keeps at least `ARM_LEAD_MS` between its arming and its moment, far more than a relay's poll.
 */
const ARM_HOLD_MS = 2_000;
const ARM_LEAD_MS = 10_000;

/** How long the arming of a timer due in `delayMs` is held back (0: not at all). */
export function timerArmHold(delayMs: number): number {
  return delayMs >= ARM_HOLD_MS + ARM_LEAD_MS ? ARM_HOLD_MS : 0;
}

/**
 * The entries of transactions that commit together, with repeats folded: one desk change for all,
 * one stream notification per user, one routing request per agent and delay, and a timer armed and
 * cancelled among them neither armed nor cancelled. Every other entry stays as it is, in order.
 */
export function coalesceOutbox(entries: OutboxEntry[]): OutboxEntry[] {
  const result: OutboxEntry[] = [];
  const seen = new Set<string>();
  const deskChanges: DeskChange[] = [];
  const armed = new Set<string>();
  const cancelled = new Set<string>();
  for (const entry of entries) {
    if (entry.kind === 'timer.arm') armed.add(entry.payload.jobId);
    else if (entry.kind === 'timer.cancel' && armed.has(entry.payload.jobId)) cancelled.add(entry.payload.jobId);
  }
  for (const entry of entries) {
    if (entry.kind === 'desk.changed') {
      deskChanges.push(entry.payload);
      continue;
    }
    if ((entry.kind === 'timer.arm' || entry.kind === 'timer.cancel') && cancelled.has(entry.payload.jobId)) continue;
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
 * The statement that writes the entries, and what to make of its rows: the rows written claimed.
 * With `leaseMs`, those due now are written claimed for that long (the caller hands them to its relay
 * after the commit); entries held back by `delayMs` never are. The cancel of a timer whose arming no
 * relay has taken yet takes that arming out instead of being written (see `timerArmHold`): the timer
 * never reaches Redis. An arming a relay took already stays, and so does its cancel; should the cancel
 * overtake it, the timer fires for a moment that has passed and the machine ignores it.
 */
export function outboxWrite(tx: TransactionSql, entries: OutboxEntry[], leaseMs: number | null = null): FinalWrite<ClaimedOutboxRow[]> {
  if (entries.length === 0) return { statement: null, read: () => [] };
  const now = Date.now();
  const claim = (entry: OutboxEntry) => leaseMs !== null && !entry.delayMs;
  const rows = entries.map((entry) => ({
    kind: entry.kind,
    payload: entry.payload as unknown as Record<string, unknown>,
    available_at: new Date(now + (claim(entry) ? (leaseMs ?? 0) : (entry.delayMs ?? 0))),
    attempts: claim(entry) ? 1 : 0,
  }));
  const cancels = entries.flatMap((entry) => (entry.kind === 'timer.cancel' ? [entry.payload.jobId] : []));
  const statement = tx`
    with taken as (
      delete from outbox where kind = 'timer.arm' and attempts = 0 and (payload ->> 'jobId') = any(${cancels}::text[])
      returning payload ->> 'jobId' as job_id
    ), written as (
      insert into outbox (kind, payload, available_at, attempts)
      select r.kind, r.payload, r.available_at, r.attempts
      from rows from (jsonb_to_recordset(${tx.json(rows as never)}) as (kind text, payload jsonb, available_at timestamptz, attempts int))
           with ordinality as r(kind, payload, available_at, attempts, n)
      where not (r.kind = 'timer.cancel' and (r.payload ->> 'jobId') in (select job_id from taken))
      order by r.n
      returning id
    )
    select (select coalesce(array_agg(job_id), '{}') from taken) as taken,
           (select coalesce(array_agg(id::text order by id), '{}') from written) as ids`;
  const read = (result: Row[]): ClaimedOutboxRow[] => {
    const row = result[0] as { taken: string[]; ids: string[] } | undefined;
    const taken = new Set(row?.taken ?? []);
    const kept = entries.filter((entry) => !(entry.kind === 'timer.cancel' && taken.has(entry.payload.jobId)));
    // Ids follow the order the rows were inserted in, which is the entries' order.
    const ids = row?.ids ?? [];
    const claimed: ClaimedOutboxRow[] = [];
    kept.forEach((entry, i) => {
      const id = ids[i];
      if (id !== undefined && claim(entry)) claimed.push({ id: Number(id), kind: entry.kind, payload: entry.payload, attempts: 1 } as ClaimedOutboxRow);
    });
    return claimed;
  };
  return { statement, read };
}
