/**
 * An agent's reply as it will be stored: the agent's text, or a standard response with its
 * placeholders filled (customer, agent, reference), and whether it must wait for review.
 */
import type { TransactionSql } from 'postgres';
import type { Config } from '../config/schema.ts';
import { SwitchboardError } from '../errors.ts';
import { fillPlaceholders } from './placeholders.ts';
import { needsReview } from './review-policy.ts';

export interface ComposedReply {
  body: string;
  responseId: string | null;
  review: boolean;
  workgroup: string | null;
  category: string | null;
}

/** The interaction replied to, as the reply's transaction has it locked. */
export interface RepliedInteraction {
  channel: string;
  workgroup: string | null;
  category: string | null;
  reference: number;
  subject: string | null;
  from: string;
  contactId: string | null;
}

export async function composeReply(
  tx: TransactionSql,
  config: Config,
  reply: { agentId: string; body: string | null; responseId: string | null },
  row: RepliedInteraction,
): Promise<ComposedReply> {
  const review = needsReview(config, { agentId: reply.agentId, workgroup: row.workgroup, category: row.category });
  const base = { review, workgroup: row.workgroup, category: row.category };
  if (reply.responseId === null) {
    if (reply.body === null) throw new SwitchboardError('VALIDATION_FAILED', 'a reply needs a body or a responseId', [{ path: 'body', message: 'required' }]);
    return { ...base, body: reply.body, responseId: null };
  }
  const response = config.responses.find((r) => r.id === reply.responseId);
  if (!response) {
    throw new SwitchboardError('UNKNOWN_RESPONSE', `unknown standard response "${reply.responseId}"`, [{ path: 'responseId', message: 'unknown' }]);
  }
  if (response.channel !== 'both' && response.channel !== row.channel) {
    throw new SwitchboardError('RESPONSE_NOT_APPLICABLE', `response "${response.id}" is for ${response.channel}; this interaction is ${row.channel}`, [
      { path: 'responseId', message: 'wrong channel' },
    ]);
  }
  if (response.workgroups.length > 0 && (row.workgroup === null || !response.workgroups.includes(row.workgroup))) {
    throw new SwitchboardError('RESPONSE_NOT_APPLICABLE', `response "${response.id}" is not for workgroup ${row.workgroup ?? '(none)'}`, [
      { path: 'responseId', message: 'wrong workgroup' },
    ]);
  }
  const agent = config.users.find((u) => u.id === reply.agentId);
  const [contact] = row.contactId === null ? [] : await tx<{ name: string | null }[]>`select name from contacts where id = ${row.contactId}`;
  const body = fillPlaceholders(reply.body ?? response.body, {
    'customer.name': contact?.name ?? null,
    'customer.address': row.from,
    'agent.name': agent?.name ?? null,
    reference: Number(row.reference),
    subject: row.subject,
  });
  return { ...base, body, responseId: response.id };
}
