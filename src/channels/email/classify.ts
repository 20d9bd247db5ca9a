// Decides what an incoming message is to the contact center:
//   ndr         a bounce of something we sent
//   auto_reply  an automatic answer (out of office, autoresponder, receipt, machine-generated)
//   reply       a person continuing an existing interaction
//   new         a person starting a new interaction
// Checked in that order.
import { detectAutoReply } from './detect-auto-reply.ts';
import { detectNdr } from './detect-ndr.ts';
import { allHeaders } from './header-values.ts';
import { extractMessageIds } from './message-id.ts';
import type { ParsedMessage } from './parse-message.ts';
import { findReferenceToken, formatReferenceToken } from './reference-token.ts';

export type MessageKind = 'new' | 'reply' | 'auto_reply' | 'ndr';

export interface Classification {
  kind: MessageKind;
  reason: string;
  /** The Message-IDs of stored messages this one continues (or, offline, every id it names). */
  threadMessageIds?: string[];
  /** The interaction reference number from the subject token. */
  referenceNumber?: number;
  /** For an ndr: the Message-ID of the message that bounced, when the report names it. */
  bouncedMessageId?: string;
  /** For an ndr with an RFC 3464 status part: `failed`, `delayed`, `delivered`, `relayed` or `expanded`. */
  deliveryAction?: string;
}

/** What the classifier needs to know about stored interactions; implemented by the engine. */
export interface ThreadLookups {
  /** The subset of `ids` (canonical `<id>` form) that are Message-IDs of stored messages. */
  knownMessageIds(ids: string[]): Promise<string[]>;
  /**
   * The addresses taking part in the interaction with this reference number (customer and any
   * Cc'd parties), or null when there is no such interaction. Without it, subject tokens are not trusted.
   */
  threadSenderForReference?(referenceNumber: number): Promise<string[] | null>;
}

export async function classifyMessage(message: ParsedMessage, lookups?: ThreadLookups): Promise<Classification> {
  const ndr = detectNdr(message);
  if (ndr) {
    return { kind: 'ndr', ...ndr };
  }

  const threadIds = threadCandidates(message);
  const token = findReferenceToken(message.subject);

  const autoReply = detectAutoReply(message);
  if (autoReply) {
    return withThreadHints({ kind: 'auto_reply', reason: autoReply }, threadIds, token);
  }

  if (!lookups) {
    return classifyOffline(threadIds, token);
  }

  const known = threadIds.length > 0 ? await lookups.knownMessageIds(threadIds) : [];
  if (known.length > 0) {
    const result: Classification = {
      kind: 'reply',
      reason: `In-Reply-To/References name ${known.length} stored message(s)`,
      threadMessageIds: known,
    };
    if (token !== null) result.referenceNumber = token;
    return result;
  }

  const unknownIds = threadIds.length > 0 ? 'In-Reply-To/References name no stored message' : 'no In-Reply-To/References';
  if (token === null) {
    return { kind: 'new', reason: `${unknownIds} and no reference token in the subject` };
  }

  const tokenText = formatReferenceToken(token);
  if (!lookups.threadSenderForReference) {
    return { kind: 'new', reason: `${unknownIds}; subject token ${tokenText} cannot be checked, so it is not trusted` };
  }
  const participants = await lookups.threadSenderForReference(token);
  if (participants === null) {
    return { kind: 'new', reason: `${unknownIds}; subject token ${tokenText} names no interaction` };
  }
  const sender = message.from.address.toLowerCase();
  if (participants.some((address) => address.trim().toLowerCase() === sender)) {
    return { kind: 'reply', reason: `subject token ${tokenText} from a participant of that interaction`, referenceNumber: token };
  }
  return {
    kind: 'new',
    reason: `${unknownIds}; subject token ${tokenText} comes from ${message.from.address}, a stranger to that interaction`,
  };
}

function classifyOffline(threadIds: string[], token: number | null): Classification {
  if (threadIds.length > 0) {
    const result: Classification = {
      kind: 'reply',
      reason: 'In-Reply-To/References present, not checked against stored threads',
      threadMessageIds: threadIds,
    };
    if (token !== null) result.referenceNumber = token;
    return result;
  }
  if (token !== null) {
    return {
      kind: 'reply',
      reason: `subject token ${formatReferenceToken(token)} present, sender not checked against stored threads`,
      referenceNumber: token,
    };
  }
  return { kind: 'new', reason: 'no In-Reply-To/References and no reference token in the subject' };
}

function withThreadHints(result: Classification, threadIds: string[], token: number | null): Classification {
  if (threadIds.length > 0) result.threadMessageIds = threadIds;
  if (token !== null) result.referenceNumber = token;
  return result;
}

/** Every Message-ID named by In-Reply-To (all values) and References, without duplicates. */
function threadCandidates(message: ParsedMessage): string[] {
  const ids = extractMessageIds(allHeaders(message.headers, 'in-reply-to').join(' '));
  for (const id of message.references) {
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}
