// What email adds to a stored message: threading headers, the addresses, the sanitized HTML body,
// every header, the raw source, and the attachments (their content only within the size limits).
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { Mailbox, ParsedAttachment, ParsedMessage } from './parse-message.ts';
import { withoutNul } from './text-safety.ts';

export interface InboundEmailRecord {
  messageId: string;
  interactionId: string;
  mailboxId: string;
  /** Null for a message that could not be parsed. */
  parsed: ParsedMessage | null;
  rfcMessageId: string | null;
  subject: string | null;
  raw: Buffer;
  rawTruncated: boolean;
  size: number;
  createdAt: Date;
}

const list = (entries: Mailbox[]) => entries.map((entry) => ({ address: withoutNul(entry.address), name: withoutNul(entry.name) }));

/** Issues its statements together (pipelined on the transaction's connection) and resolves when all are done. */
export async function storeInboundEmail(tx: TransactionSql, record: InboundEmailRecord): Promise<void> {
  const { parsed } = record;
  const addresses = parsed ? { from: list([parsed.from]), to: list(parsed.to), cc: list(parsed.cc), replyTo: list(parsed.replyTo) } : {};
  await Promise.all([
    tx`
      insert into email_messages (message_id, interaction_id, direction, mailbox_id, rfc_message_id, in_reply_to, "references",
                                  addresses, subject, html, headers, raw, raw_truncated, size, created_at)
      values (${record.messageId}, ${record.interactionId}, 'in', ${record.mailboxId}, ${record.rfcMessageId}, ${parsed?.inReplyTo ?? null},
              ${parsed?.references ?? []}::text[], ${tx.json(addresses)}, ${record.subject}, ${parsed?.html ?? null},
              ${tx.json(parsed?.headers ?? {})}, ${record.raw}, ${record.rawTruncated}, ${record.size}, ${record.createdAt})`,
    ...(parsed ? storeAttachments(tx, record.messageId, parsed.attachments) : []),
  ]);
}

/** One insert per attachment, issued at once. */
export function storeAttachments(tx: TransactionSql, messageId: string, attachments: ParsedAttachment[]): Promise<unknown>[] {
  return attachments.map(
    (attachment, position) => tx`
      insert into email_attachments (id, message_id, position, filename, content_type, size, content, drop_reason, content_id, inline)
      values (${randomUUID()}, ${messageId}, ${position}, ${withoutNul(attachment.filename)}, ${withoutNul(attachment.contentType)}, ${attachment.size},
              ${attachment.content}, ${attachment.dropReason}, ${withoutNul(attachment.contentId)}, ${attachment.inline})`,
  );
}
