// A bounce of something Switchboard sent: the message it names (by the Message-ID Switchboard wrote)
// is marked `undelivered` on its interaction, and the agent handling that interaction (or who last
// did) is told. A report that delivery is only delayed, or that it succeeded (`delivered`, `relayed`,
// `expanded`), is recorded on the message without changing its status.
import type { TransactionSql } from 'postgres';
import type { OutboxEntry } from '../../engine/outbox.ts';
import { appendStreamEvent } from '../../engine/stream.ts';

const NOT_A_FAILURE = new Set(['delayed', 'delivered', 'relayed', 'expanded']);

export interface BounceReport {
  /** The Message-ID the report names. */
  bouncedMessageId: string;
  deliveryAction: string | undefined;
  reason: string;
  /** The `messages` row of the report itself (kept on its own discarded interaction). */
  reportMessageId: string;
  reportInteractionId: string;
}

export interface BouncedMessage {
  messageId: string;
  interactionId: string;
  undelivered: boolean;
}

export async function recordBounce(tx: TransactionSql, outbox: OutboxEntry[], report: BounceReport, now: Date): Promise<BouncedMessage | null> {
  const [target] = await tx<{ message_id: string; interaction_id: string }[]>`
    select message_id, interaction_id from email_messages
    where rfc_message_id = ${report.bouncedMessageId} and direction = 'out' order by created_at limit 1`;
  if (!target) return null;
  const undelivered = report.deliveryAction === undefined || !NOT_A_FAILURE.has(report.deliveryAction);
  const note = {
    reason: report.reason,
    action: report.deliveryAction ?? null,
    reportMessageId: report.reportMessageId,
    reportInteractionId: report.reportInteractionId,
    at: now.toISOString(),
  };
  const updated = undelivered
    ? await tx`
        update messages set status = 'undelivered', metadata = metadata || ${tx.json({ bounce: note })}, updated_at = ${now}
        where id = ${target.message_id} and direction = 'out' returning id`
    : await tx`
        update messages set metadata = metadata || ${tx.json({ deliveryReport: note })}, updated_at = ${now}
        where id = ${target.message_id} and direction = 'out' returning id`;
  if (updated.length === 0) return null;
  if (undelivered) {
    const [interaction] = await tx<{ agent_id: string | null; last_agent_id: string | null }[]>`
      select agent_id, last_agent_id from interactions where id = ${target.interaction_id}`;
    const agentId = interaction?.agent_id ?? interaction?.last_agent_id ?? null;
    if (agentId !== null) {
      await appendStreamEvent(
        tx,
        agentId,
        'message_undelivered',
        { interactionId: target.interaction_id, messageId: target.message_id, reason: report.reason },
        outbox,
      );
    }
  }
  return { messageId: target.message_id, interactionId: target.interaction_id, undelivered };
}
