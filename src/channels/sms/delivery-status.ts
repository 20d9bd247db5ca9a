// Delivery status reports for outbound SMS (Twilio's status callbacks, the generic provider's status
// webhook), in one transaction: the report is kept in sms_message_status (once per status word, so a
// repeated callback changes nothing), the message's status only moves forward (sent, then delivered,
// undelivered or failed, whatever order the reports arrive in), and the agent holding the interaction
// gets a `message_status` event on its stream.
import type { TransactionSql } from 'postgres';
import type { Engine } from '../../engine/engine.ts';
import type { OutboxEntry } from '../../engine/outbox.ts';
import { appendStreamEvent } from '../../engine/stream.ts';
import { SwitchboardError } from '../../errors.ts';

export type MessageStatus = 'sent' | 'delivered' | 'undelivered' | 'failed';

/** Provider status words (Twilio's, which the generic webhook shares) and what they mean for the message. */
export const PROVIDER_STATUSES: Readonly<Record<string, MessageStatus>> = {
  accepted: 'sent',
  scheduled: 'sent',
  queued: 'sent',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

const RANK: Readonly<Record<string, number>> = { pending: 0, sent: 1, delivered: 2, undelivered: 2, failed: 2 };

export interface DeliveryReport {
  provider: string;
  providerMessageId: string;
  /** The provider's status word, one of PROVIDER_STATUSES' keys. */
  providerStatus: string;
  errorCode: string | null;
  /** Our message id, when the callback URL carried it. */
  messageId: string | null;
}

export type DeliveryOutcome = { recorded: false } | { recorded: true; messageId: string; status: string };

interface MessageRow {
  id: string;
  interaction_id: string;
  status: string;
  external_id: string | null;
  author_id: string | null;
}

export function recordDeliveryStatus(engine: Engine, report: DeliveryReport): Promise<DeliveryOutcome> {
  return engine.transaction((tx, outbox, now) => recordInTransaction(tx, outbox, now, report), [`sms-status:${report.provider}:${report.providerMessageId}`]);
}

async function recordInTransaction(tx: TransactionSql, outbox: OutboxEntry[], now: Date, report: DeliveryReport): Promise<DeliveryOutcome> {
  const mapped = PROVIDER_STATUSES[report.providerStatus];
  if (mapped === undefined) throw new SwitchboardError('VALIDATION_FAILED', `unknown message status "${report.providerStatus}"`);
  const [message] = report.messageId
    ? await tx<MessageRow[]>`
        select id, interaction_id, status, external_id, author_id from messages
        where id = ${report.messageId} and channel = 'sms' and direction = 'out' for update`
    : await tx<MessageRow[]>`
        select id, interaction_id, status, external_id, author_id from messages
        where external_id = ${report.providerMessageId} and channel = 'sms' and direction = 'out' limit 1 for update`;
  if (!message || (message.external_id !== null && message.external_id !== report.providerMessageId)) {
    throw new SwitchboardError('UNKNOWN_MESSAGE', `no outbound SMS is known as ${report.providerMessageId}`);
  }

  const inserted = await tx`
    insert into sms_message_status (message_id, provider, provider_message_id, status, error_code, at)
    values (${message.id}, ${report.provider}, ${report.providerMessageId}, ${report.providerStatus}, ${report.errorCode}, ${now})
    on conflict (message_id, status) do nothing returning id`;
  if (inserted.length === 0) return { recorded: false };

  // A report older than what the message already reached is kept in the history only.
  const advances = (RANK[mapped] ?? 0) > (RANK[message.status] ?? 0);
  const status = advances ? mapped : message.status;
  const details: Record<string, unknown> = advances ? { providerStatus: report.providerStatus } : {};
  if (advances && report.errorCode !== null) details.providerErrorCode = report.errorCode;
  await tx`
    update messages set
      status = ${status}, external_id = coalesce(external_id, ${report.providerMessageId}),
      metadata = metadata || ${tx.json(details as never)}, updated_at = ${now}
    where id = ${message.id}`;

  const [interaction] = await tx<{ agent_id: string | null }[]>`select agent_id from interactions where id = ${message.interaction_id}`;
  const recipient = interaction?.agent_id ?? message.author_id;
  if (recipient !== null) {
    await appendStreamEvent(
      tx,
      recipient,
      'message_status',
      { interactionId: message.interaction_id, messageId: message.id, status, providerStatus: report.providerStatus, errorCode: report.errorCode },
      outbox,
    );
  }
  return { recorded: true, messageId: message.id, status };
}
