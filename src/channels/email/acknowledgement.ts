// The acknowledgement of a new message: queued in the capture's transaction as a pending outbound
// message (sent after commit by the outbound worker through the email sender, like an agent's reply),
// and guarded against mail loops: at most one acknowledgement per sender within the configured
// window, claimed in the same transaction, so two messages captured at once cannot both claim it.
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { OutboxEntry } from '../../engine/outbox.ts';
import type { RenderedAcknowledgement } from './acknowledgement-template.ts';

export const ACKNOWLEDGEMENT_KIND = 'acknowledgement';

/** Whether this sender may be acknowledged now; if so the guard is claimed (until the transaction rolls back). */
export async function claimAcknowledgement(tx: TransactionSql, sender: string, windowMs: number, now: Date): Promise<boolean> {
  const cutoff = new Date(now.getTime() - windowMs);
  const claimed = await tx`
    insert into email_acknowledgements (sender, last_at, count) values (${sender.toLowerCase()}, ${now}, 1)
    on conflict (sender) do update set last_at = excluded.last_at, count = email_acknowledgements.count + 1
      where email_acknowledgements.last_at <= ${cutoff}
    returning sender`;
  return claimed.length === 1;
}

export interface QueuedAcknowledgement {
  interactionId: string;
  from: string;
  to: string;
  content: RenderedAcknowledgement;
  /** Threading: the Message-ID of the customer's message and the References it carried. */
  inReplyTo: string | null;
  references: string[];
  now: Date;
}

export async function queueAcknowledgement(tx: TransactionSql, outbox: OutboxEntry[], ack: QueuedAcknowledgement): Promise<string> {
  const id = randomUUID();
  // One millisecond after the message it answers, so the conversation lists in the order it happened.
  const at = new Date(ack.now.getTime() + 1);
  const references = ack.inReplyTo === null ? ack.references : [...ack.references.filter((ref) => ref !== ack.inReplyTo), ack.inReplyTo];
  const metadata = { kind: ACKNOWLEDGEMENT_KIND, inReplyTo: ack.inReplyTo, references };
  await tx`
    insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, author_id, status, metadata, created_at, updated_at)
    values (${id}, ${ack.interactionId}, 'out', 'email', ${ack.from}, ${ack.to}, ${ack.content.subject}, ${ack.content.body}, null, 'pending',
            ${tx.json(metadata)}, ${at}, ${at})`;
  outbox.push({ kind: 'message.send', payload: { messageId: id, channel: 'email' } });
  return id;
}
