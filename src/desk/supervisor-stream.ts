/**
 * The supervisors' durable event feed: queue snapshots, reviews and alerts are stream events of one
 * topic (not a user: ':' never appears in user ids), so SSE resumes after Last-Event-ID like any
 * user's stream. Every event names its workgroup; each supervisor sees those of the workgroups they
 * supervise.
 */
import type { TransactionSql } from 'postgres';
import type { OutboxEntry } from '../engine/outbox.ts';
import { appendStreamEvent } from '../engine/stream.ts';

export const SUPERVISOR_TOPIC = 'topic:supervisors';

export type SupervisorEventType = 'queue' | 'review_requested' | 'review_decided' | 'alert' | 'alert_cleared';

export function appendSupervisorEvent(
  tx: TransactionSql,
  type: SupervisorEventType,
  data: Record<string, unknown> & { workgroup: string | null },
  outbox: OutboxEntry[],
): Promise<void> {
  return appendStreamEvent(tx, SUPERVISOR_TOPIC, type, data, outbox);
}
