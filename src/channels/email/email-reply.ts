// An agent's email reply with attachments, in ONE transaction: the agent must hold the interaction,
// the pending message and its attachments are stored together, and the REPLY event hands the message
// to the outbound worker (through the outbox) only once all of it is committed.
import { randomUUID } from 'node:crypto';
import type { Engine } from '../../engine/engine.ts';
import { applyInteractionEvent, lockInteraction, type TransitionResult } from '../../engine/interaction-runtime.ts';
import { SwitchboardError } from '../../errors.ts';
import { withoutNul } from './text-safety.ts';

export interface OutboundAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export async function replyWithAttachments(
  engine: Engine,
  reply: { interactionId: string; agentId: string; body: string; attachments: OutboundAttachment[] },
): Promise<{ messageId: string; result: TransitionResult }> {
  const { interactionId, agentId } = reply;
  return engine.transaction(async (tx, outbox, now) => {
    const record = await lockInteraction(tx, interactionId);
    if (record.context.agentId !== agentId) {
      throw new SwitchboardError('NOT_YOUR_INTERACTION', `interaction ${interactionId} is not held by ${agentId}`);
    }
    const [interaction] = await tx<{ channel: string; from_address: string; to_address: string; subject: string | null }[]>`
      select channel, from_address, to_address, subject from interactions where id = ${interactionId}`;
    if (!interaction) throw new SwitchboardError('INTERACTION_NOT_FOUND', `interaction ${interactionId} not found`);
    if (interaction.channel !== 'email') throw new SwitchboardError('NOT_AN_EMAIL_INTERACTION', `interaction ${interactionId} is ${interaction.channel}`);

    const messageId = randomUUID();
    const subject = interaction.subject === null ? null : /^re:/i.test(interaction.subject) ? interaction.subject : `Re: ${interaction.subject}`;
    const metadata = { attachments: reply.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.content.length })) };
    await tx`
      insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, author_id, status, metadata, created_at, updated_at)
      values (${messageId}, ${interactionId}, 'out', 'email', ${interaction.to_address}, ${interaction.from_address}, ${subject},
              ${withoutNul(reply.body)}, ${agentId}, 'pending', ${tx.json(metadata)}, ${now}, ${now})`;
    let position = 0;
    for (const attachment of reply.attachments) {
      await tx`
        insert into email_attachments (id, message_id, position, filename, content_type, size, content, inline)
        values (${randomUUID()}, ${messageId}, ${position}, ${withoutNul(attachment.filename)}, ${attachment.contentType}, ${attachment.content.length},
                ${attachment.content}, false)`;
      position += 1;
    }
    const result = await applyInteractionEvent(tx, interactionId, { type: 'REPLY', agentId, messageId }, `user:${agentId}`, now, outbox);
    if (!result.handled) throw new SwitchboardError('INVALID_STATE', `interaction ${interactionId} is ${record.state}; REPLY does not apply`);
    return { messageId, result };
  });
}
