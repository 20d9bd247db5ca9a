// One message from a mailbox, captured in ONE transaction:
//
// 1. Serialize on (mailbox, message key) and record this copy of it (IMAP UIDVALIDITY + UID, or POP3
//    UIDL) with what is to be done to it in the mailbox; for IMAP, advance the mailbox's last UID.
// 2. A message already captured from this mailbox (same Message-ID, or same bytes when it has none)
//    creates nothing more: the copy is only removed from the mailbox like the first one.
// 3. Otherwise classify it against stored threads, before anything is sent or routed:
//    - ndr: a discarded interaction with the reason; the outbound message it names is marked
//      undelivered on its interaction.
//    - auto_reply: a discarded interaction with the reason; never acknowledged.
//    - reply: appended to its interaction if that is open (the holding agent is notified), else a new
//      interaction targeted at the agent who last handled the thread when its category says so.
//    - new: a new interaction, acknowledged with the address's template unless the loop guard says
//      this sender was acknowledged within the window.
//    A message that could not be parsed (or was too large) becomes a discarded interaction with the
//    quarantine reason; its raw bytes are kept.
// 4. Store what email adds (headers, safe HTML, raw source, attachments) and the capture record.
//
// Nothing leaves the mailbox here: the poller removes a copy only after this transaction committed.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TransactionSql } from 'postgres';
import { findOrCreateContactByEmail } from '../../engine/contacts.ts';
import type { Engine } from '../../engine/engine.ts';
import { intake, type IntakeRequest } from '../../engine/intake.ts';
import { applyInteractionEvent } from '../../engine/interaction-runtime.ts';
import type { OutboxEntry } from '../../engine/outbox.ts';
import { renderAcknowledgement } from './acknowledgement-template.ts';
import { claimAcknowledgement, queueAcknowledgement } from './acknowledgement.ts';
import { recordBounce } from './bounces.ts';
import { classifyMessage, type Classification } from './classify.ts';
import type { MailboxConfig } from './email-config.ts';
import type { EmailDirectory } from './email-directory.ts';
import { timed } from './capture-timings.ts';
import { claimCopy } from './claim-copy.ts';
import type { MailboxCopy } from './mailbox-copy.ts';
import { customerOf, resolveOwnAddress, type OwnAddress } from './own-address.ts';
import { parseMessage, type ParsedMessage, type QuarantinedMessage } from './parse-message.ts';
import { contentHashOf, messageKeyOf, rawHeader, rawMessageId, rawSenderAddress } from './raw-headers.ts';
import { storeInboundEmail } from './store-email-message.ts';
import { CLOSED_STATES, lockThreadInteraction, transactionThreadLookups } from './thread-lookups.ts';
import { withoutNul } from './text-safety.ts';

export const EMAIL_ACTOR = 'channel:email';

export interface CaptureInput {
  mailbox: MailboxConfig;
  copy: MailboxCopy;
  /** The message, or for one too large to fetch whole, its beginning. */
  raw: Buffer;
  /** The full size of the message in the mailbox. */
  size: number;
  /** True when `raw` is only the beginning of the message (it was over maxMessageBytes). */
  truncated: boolean;
}

export type CaptureKind = Classification['kind'] | 'quarantined';

export type CaptureOutcome =
  | { status: 'copy_seen' }
  | { status: 'duplicate'; messageKey: string }
  | {
      status: 'captured';
      messageKey: string;
      kind: CaptureKind;
      reason: string;
      interactionId: string;
      messageId: string;
      /** Appended to an open interaction rather than starting one. */
      appended: boolean;
      acknowledged: boolean;
    };

export interface CaptureDeps {
  engine: Engine;
  directory: EmailDirectory;
  logger: Logger;
}

type Readable = ParsedMessage | QuarantinedMessage;

export async function captureMessage(deps: CaptureDeps, input: CaptureInput): Promise<CaptureOutcome> {
  const limits = deps.directory.parseLimits();
  const message: Readable = input.truncated
    ? {
        quarantined: true,
        code: 'message_too_large',
        reason: `message_too_large: ${input.size} bytes, limit ${limits.maxMessageBytes}`,
        raw: input.raw,
      }
    : await timed('parse', input.mailbox.id, () => parseMessage(input.raw, limits));
  return timed('transaction', input.mailbox.id, () =>
    deps.engine.transaction((tx, outbox, now) => captureInTransaction(tx, outbox, now, deps, input, message)),
  );
}

/**
 * The fallback for a message whose capture failed for a reason of its own (e.g. content the database
 * refuses): it is captured as quarantined with that reason, so one message cannot stop its mailbox.
 */
export async function captureAsQuarantined(deps: CaptureDeps, input: CaptureInput, failure: string): Promise<CaptureOutcome> {
  const message: QuarantinedMessage = { quarantined: true, code: 'unparseable', reason: `capture_failed: ${failure}`.slice(0, 2_000), raw: input.raw };
  return timed('transaction', input.mailbox.id, () =>
    deps.engine.transaction((tx, outbox, now) => captureInTransaction(tx, outbox, now, deps, input, message)),
  );
}

async function captureInTransaction(
  tx: TransactionSql,
  outbox: OutboxEntry[],
  now: Date,
  deps: CaptureDeps,
  input: CaptureInput,
  message: Readable,
): Promise<CaptureOutcome> {
  const { mailbox, copy } = input;
  const rfcMessageId = message.quarantined ? rawMessageId(message.raw) : message.messageId;
  const primaryKey = messageKeyOf(rfcMessageId, input.raw);
  const contentHash = contentHashOf(input.raw);
  const claim = await claimCopy(tx, { mailboxId: mailbox.id, action: mailbox.afterCapture, copy, rfcMessageId, primaryKey, contentHash, now });
  if (claim.status !== 'new') return claim;
  const { messageKey } = claim;

  const messageId = randomUUID();
  const own = resolveOwnAddress(message.quarantined ? null : message, mailbox, deps.directory);
  const context: CaptureContext = { tx, outbox, now, deps, input, messageId, messageKey, own };
  const { stored, ...result } = message.quarantined ? await captureQuarantined(context, message) : await captureParsed(context, message);
  await Promise.all([
    stored,
    tx`
      insert into email_inbound (mailbox_id, message_key, message_id, interaction_id, kind, reason, content_hash, size, captured_at)
      values (${mailbox.id}, ${messageKey}, ${messageId}, ${result.interactionId}, ${result.kind}, ${result.reason.slice(0, 2_000)}, ${contentHash},
              ${input.size}, ${now})`,
  ]);
  return { status: 'captured', messageKey, messageId, ...result };
}

interface CaptureContext {
  tx: TransactionSql;
  outbox: OutboxEntry[];
  now: Date;
  deps: CaptureDeps;
  input: CaptureInput;
  messageId: string;
  messageKey: string;
  own: OwnAddress;
}

interface Captured {
  kind: CaptureKind;
  reason: string;
  interactionId: string;
  appended: boolean;
  acknowledged: boolean;
}

/** Captured, with the storing of its email details under way (pipelined with the capture record). */
type CapturedAndStoring = Captured & { stored: Promise<void> };

async function captureQuarantined(context: CaptureContext, message: QuarantinedMessage): Promise<CapturedAndStoring> {
  const { tx, outbox, now, input, messageId, own } = context;
  const subject = withoutNul(rawHeader(message.raw, 'subject')?.slice(0, 998) ?? null);
  const result = await intake(
    tx,
    context.deps.engine,
    {
      channel: 'email',
      from: rawSenderAddress(message.raw) ?? '(unknown sender)',
      to: own.address,
      subject,
      body: '',
      discardReason: `quarantined: ${message.reason}`,
      messageId,
      externalId: rawMessageId(message.raw),
      metadata: { mailbox: input.mailbox.id, quarantine: { code: message.code, reason: message.reason }, size: input.size },
    },
    EMAIL_ACTOR,
    now,
    outbox,
  );
  const stored = storeInboundEmail(tx, {
    messageId,
    interactionId: result.id,
    mailboxId: input.mailbox.id,
    parsed: null,
    rfcMessageId: null,
    subject,
    raw: message.raw,
    rawTruncated: input.truncated,
    size: input.size,
    createdAt: now,
  });
  return { kind: 'quarantined', reason: message.reason, interactionId: result.id, appended: false, acknowledged: false, stored };
}

async function captureParsed(context: CaptureContext, parsed: ParsedMessage): Promise<CapturedAndStoring> {
  const { tx, now, input, messageId } = context;
  const classification = await classifyMessage(parsed, transactionThreadLookups(tx));
  const customer = customerOf(parsed);
  const subject = withoutNul(parsed.subject);
  const body = withoutNul(parsed.text);
  const metadata: Record<string, unknown> = {
    mailbox: input.mailbox.id,
    messageId: parsed.messageId,
    inReplyTo: parsed.inReplyTo,
    references: parsed.references,
    cc: parsed.cc.map((entry) => entry.address),
    classification: { kind: classification.kind, reason: classification.reason },
    html: parsed.html !== null,
    attachments: parsed.attachments.length,
  };
  const base: IntakeRequest = {
    channel: 'email',
    from: customer.address,
    to: context.own.address,
    subject,
    body,
    messageId,
    externalId: parsed.messageId,
    metadata,
  };

  let captured: Captured;
  switch (classification.kind) {
    case 'ndr':
      captured = await captureBounce(context, classification, { ...base, from: parsed.from.address.toLowerCase() });
      break;
    case 'auto_reply':
      captured = await captureAutoReply(context, classification, { ...base, from: parsed.from.address.toLowerCase() }, parsed);
      break;
    case 'reply':
      captured = await captureReply(context, parsed, classification, base);
      break;
    case 'new':
      captured = await captureNew(context, parsed, classification, base);
      break;
  }
  const stored = storeInboundEmail(tx, {
    messageId,
    interactionId: captured.interactionId,
    mailboxId: input.mailbox.id,
    parsed: sanitizedForStorage(parsed),
    rfcMessageId: parsed.messageId,
    subject,
    raw: parsed.raw,
    rawTruncated: false,
    size: input.size,
    createdAt: now,
  });
  return { ...captured, stored };
}

async function captureBounce(context: CaptureContext, classification: Classification, request: IntakeRequest): Promise<Captured> {
  const { tx, outbox, now } = context;
  const details = { bouncedMessageId: classification.bouncedMessageId ?? null, deliveryAction: classification.deliveryAction ?? null };
  const result = await intake(
    tx,
    context.deps.engine,
    { ...request, discardReason: `ndr: ${classification.reason}`, metadata: { ...request.metadata, ndr: details } },
    EMAIL_ACTOR,
    now,
    outbox,
  );
  if (classification.bouncedMessageId !== undefined) {
    const bounced = await recordBounce(
      tx,
      outbox,
      {
        bouncedMessageId: classification.bouncedMessageId,
        deliveryAction: classification.deliveryAction,
        reason: classification.reason,
        reportMessageId: context.messageId,
        reportInteractionId: result.id,
      },
      now,
    );
    if (bounced) {
      await tx`
        update messages set metadata = metadata || ${tx.json({ ndr: { ...details, bouncedInteractionId: bounced.interactionId, bouncedMessage: bounced.messageId } })}
        where id = ${context.messageId}`;
    }
  }
  return { kind: 'ndr', reason: classification.reason, interactionId: result.id, appended: false, acknowledged: false };
}

async function captureAutoReply(context: CaptureContext, classification: Classification, request: IntakeRequest, parsed: ParsedMessage): Promise<Captured> {
  const { tx, outbox, now } = context;
  const contactId = await findOrCreateContactByEmail(tx, request.from, parsed.from.name || null);
  const related = await relatedInteraction(tx, classification);
  const result = await intake(
    tx,
    context.deps.engine,
    {
      ...request,
      contactId,
      discardReason: `auto_reply: ${classification.reason}`,
      metadata: { ...request.metadata, ...(related ? { relatedInteractionId: related } : {}) },
    },
    EMAIL_ACTOR,
    now,
    outbox,
  );
  return { kind: 'auto_reply', reason: classification.reason, interactionId: result.id, appended: false, acknowledged: false };
}

/** The interaction an automatic answer refers to, for the record (nothing is appended to it). */
async function relatedInteraction(tx: TransactionSql, classification: Classification): Promise<string | null> {
  const ids = classification.threadMessageIds ?? [];
  if (ids.length === 0) return null;
  const [row] = await tx<{ interaction_id: string }[]>`
    select interaction_id from email_messages where rfc_message_id = any(${ids}::text[]) order by created_at desc limit 1`;
  return row?.interaction_id ?? null;
}

async function captureReply(context: CaptureContext, parsed: ParsedMessage, classification: Classification, request: IntakeRequest): Promise<Captured> {
  const { tx, outbox, now, messageId } = context;
  const thread = await lockThreadInteraction(tx, classification);
  if (!thread) return captureNew(context, parsed, classification, request);

  if (!CLOSED_STATES.has(thread.state)) {
    await tx`
      insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, status, external_id, metadata, created_at, updated_at)
      values (${messageId}, ${thread.id}, 'in', 'email', ${request.from}, ${thread.toAddress}, ${request.subject ?? null}, ${request.body},
              'received', ${request.externalId ?? null}, ${tx.json((request.metadata ?? {}) as never)}, ${now}, ${now})`;
    await applyInteractionEvent(tx, thread.id, { type: 'CUSTOMER_MESSAGE', messageId }, EMAIL_ACTOR, now, outbox);
    return { kind: 'reply', reason: classification.reason, interactionId: thread.id, appended: true, acknowledged: false };
  }

  // The thread is closed: a new interaction, for the agent who last handled it when its category says so.
  const contactId = await findOrCreateContactByEmail(tx, request.from, parsed.from.name || null);
  const result = await intake(
    tx,
    context.deps.engine,
    {
      ...request,
      to: thread.toAddress,
      contactId,
      acknowledged: false,
      lastAgentId: thread.lastAgentId,
      defaultCategory: thread.category ?? context.own.config?.category ?? null,
      metadata: { ...request.metadata, previousInteractionId: thread.id, previousReference: thread.reference },
    },
    EMAIL_ACTOR,
    now,
    outbox,
  );
  return { kind: 'reply', reason: classification.reason, interactionId: result.id, appended: false, acknowledged: false };
}

async function captureNew(context: CaptureContext, parsed: ParsedMessage, classification: Classification, request: IntakeRequest): Promise<Captured> {
  const { tx, outbox, now, deps, own } = context;
  const customer = customerOf(parsed);
  const contactId = await findOrCreateContactByEmail(tx, customer.address, customer.name || null);
  const template = own.config?.acknowledgement ?? null;
  const acknowledge =
    template !== null &&
    deps.directory.smtp() !== null &&
    !deps.directory.isOwnAddress(customer.address) &&
    (await claimAcknowledgement(tx, customer.address, deps.directory.settings().acknowledgementWindow, now));
  const result = await intake(
    tx,
    deps.engine,
    { ...request, contactId, acknowledged: acknowledge, defaultCategory: own.config?.category ?? null },
    EMAIL_ACTOR,
    now,
    outbox,
  );
  if (acknowledge && template !== null) {
    await queueAcknowledgement(tx, outbox, {
      interactionId: result.id,
      from: own.address,
      to: customer.address,
      content: renderAcknowledgement(template, { name: customer.name, address: customer.address, subject: request.subject ?? '', reference: result.reference }),
      inReplyTo: parsed.messageId,
      references: parsed.references,
      now,
    });
  }
  return { kind: 'new', reason: classification.reason, interactionId: result.id, appended: false, acknowledged: acknowledge };
}

/** The parsed message with NUL characters (which Postgres text refuses) removed from what is stored as text. */
function sanitizedForStorage(parsed: ParsedMessage): ParsedMessage {
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(parsed.headers)) headers[withoutNul(name)] = values.map((value) => withoutNul(value));
  return { ...parsed, subject: withoutNul(parsed.subject), text: withoutNul(parsed.text), html: parsed.html === null ? null : withoutNul(parsed.html), headers };
}
