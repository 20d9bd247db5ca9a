/** Users' durable event feeds: a row per event (its id is the SSE event id) and a notification after commit. */
import type { TransactionSql } from 'postgres';
import type { OutboxEntry } from './outbox.ts';

export async function appendStreamEvent(
  tx: TransactionSql,
  userId: string,
  type: string,
  data: Record<string, unknown>,
  outbox: OutboxEntry[],
): Promise<void> {
  await tx`insert into stream_events (user_id, type, data) values (${userId}, ${type}, ${tx.json(data as never)})`;
  noteStreamEvent(outbox, userId);
}

/** Notifies the user's stream after the commit that writes its new events (once per transaction). */
export function noteStreamEvent(outbox: OutboxEntry[], userId: string): void {
  if (!outbox.some((entry) => entry.kind === 'stream.notify' && entry.payload.userId === userId)) {
    outbox.push({ kind: 'stream.notify', payload: { userId } });
  }
}
