// Attachments of an agent's email reply, stored in the reply's own transaction (through the attach
// hook of AgentActions.reply), so the message and its attachments commit together and the reply
// takes the same path as any other: the same checks, the same review rules, the same outbox entry.
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import { withoutNul } from './text-safety.ts';

export interface OutboundAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export function attachmentsOf(attachments: OutboundAttachment[]): (tx: TransactionSql, messageId: string) => Promise<void> {
  return async (tx, messageId) => {
    if (attachments.length === 0) return;
    const listed = attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.content.length }));
    await Promise.all([
      tx`update messages set metadata = metadata || ${tx.json({ attachments: listed })} where id = ${messageId}`,
      ...attachments.map(
        (attachment, position) => tx`
          insert into email_attachments (id, message_id, position, filename, content_type, size, content, inline)
          values (${randomUUID()}, ${messageId}, ${position}, ${withoutNul(attachment.filename)}, ${attachment.contentType},
                  ${attachment.content.length}, ${attachment.content}, false)`,
      ),
    ]);
  };
}
