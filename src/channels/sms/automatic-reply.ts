// Messages Switchboard itself sends to a customer (acknowledgements, keyword answers). They take the
// same path as an agent's reply: a pending `messages` row and a `message.send` outbox entry written in
// the caller's transaction, then the outbound worker sends them through the SMS sender (idempotent on
// the message id). Nothing is sent if the transaction rolls back.
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { OutboxEntry } from '../../engine/outbox.ts';

/** What an automatic message is; the sender lets only the last two through to an opted-out sender. */
export type AutomaticReplyKind = 'acknowledgement' | 'opt_in_confirmation' | 'opt_out_confirmation' | 'help';

/** Kinds that may still go to a sender who has opted out (CTIA: confirm the opt-out once; always answer HELP). */
export const SENT_DESPITE_OPT_OUT: ReadonlySet<string> = new Set<AutomaticReplyKind>(['opt_out_confirmation', 'help']);

export async function queueAutomaticReply(
  tx: TransactionSql,
  outbox: OutboxEntry[],
  reply: { interactionId: string; from: string; to: string; body: string; kind: AutomaticReplyKind; now: Date },
): Promise<string> {
  const id = randomUUID();
  // One millisecond after the message it answers, so the conversation lists in the order it happened.
  const at = new Date(reply.now.getTime() + 1);
  await tx`
    insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, author_id, status, metadata, created_at, updated_at)
    values (${id}, ${reply.interactionId}, 'out', 'sms', ${reply.from}, ${reply.to}, null, ${reply.body}, null, 'pending',
            ${tx.json({ kind: reply.kind })}, ${at}, ${at})`;
  outbox.push({ kind: 'message.send', payload: { messageId: id, channel: 'sms' } });
  return id;
}
