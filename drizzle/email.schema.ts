/**
 * The email channel's own tables. Messages themselves live in `messages` (core); these keep what
 * email adds: where each polled mailbox stands (UIDVALIDITY, last UID, failures), which messages were
 * captured (the dedupe key is the mailbox and the Message-ID) and what is still to be removed from
 * the mailbox, the raw message with its headers, sanitized HTML and attachments, what was sent
 * (so a retried send is recognized), and when each sender was last acknowledged (the loop guard).
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** One row per configured mailbox: where polling stands and how it went last. */
export const emailMailboxes = pgTable('email_mailboxes', {
  id: text('id').primaryKey(),
  /** IMAP: the UIDVALIDITY the UIDs below belong to (null until first seen; POP3: always null). */
  uidValidity: bigint('uid_validity', { mode: 'bigint' }),
  /** IMAP: every UID up to this one has been captured (or recognised as a copy). */
  lastUid: bigint('last_uid', { mode: 'number' }).notNull().default(0),
  failures: integer('failures').notNull().default(0),
  /** After failures, no poll before this moment. */
  retryAt: at('retry_at'),
  lastError: text('last_error'),
  lastErrorAt: at('last_error_at'),
  lastSuccessAt: at('last_success_at'),
  lastPollAt: at('last_poll_at'),
  /** Messages captured by the last successful poll. */
  lastCaptured: integer('last_captured').notNull().default(0),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/**
 * Every message captured, once per mailbox and Message-ID (a hash of the raw message when it has
 * none). A second copy of the same message finds the row and creates nothing.
 */
export const emailInbound = pgTable(
  'email_inbound',
  {
    mailboxId: text('mailbox_id').notNull(),
    /** `<message-id@host>`, or `sha256:<hex>` of the raw message. */
    messageKey: text('message_key').notNull(),
    messageId: uuid('message_id').notNull(),
    interactionId: uuid('interaction_id').notNull(),
    /** new, reply, auto_reply, ndr or quarantined */
    kind: text('kind').notNull(),
    reason: text('reason').notNull(),
    /**
     * SHA-256 of the sender, subject and body: a message that reuses the Message-ID of a different
     * one (some software does) is told apart from a second copy of the same message.
     */
    contentHash: text('content_hash'),
    size: integer('size').notNull(),
    capturedAt: at('captured_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.mailboxId, t.messageKey] }),
    index('email_inbound_quarantined_idx').on(t.capturedAt).where(sql`${t.kind} = 'quarantined'`),
  ],
);

/**
 * Each copy seen in a mailbox (by IMAP UIDVALIDITY and UID, or POP3 UIDL), written in the capture's
 * transaction, with what is still to be done to it: a copy whose `removedAt` is null and whose
 * action is not `keep` is removed by the next poll if the one that captured it could not.
 */
export const emailMailboxItems = pgTable(
  'email_mailbox_items',
  {
    mailboxId: text('mailbox_id').notNull(),
    /** `imap:<uidvalidity>:<uid>` or `pop3:<uidl>` */
    itemKey: text('item_key').notNull(),
    uidValidity: bigint('uid_validity', { mode: 'bigint' }),
    uid: bigint('uid', { mode: 'number' }),
    uidl: text('uidl'),
    messageKey: text('message_key').notNull(),
    /** captured, or duplicate (a copy of a message captured before) */
    outcome: text('outcome').notNull(),
    /** delete, keep or move:<folder>, as configured when it was captured */
    action: text('action').notNull(),
    removedAt: at('removed_at'),
    seenAt: at('seen_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.mailboxId, t.itemKey] }),
    index('email_mailbox_items_pending_idx').on(t.mailboxId).where(sql`${t.removedAt} is null and ${t.action} <> 'keep'`),
  ],
);

/** What email adds to a message, inbound or outbound: threading headers, addresses, safe HTML, the raw source. */
export const emailMessages = pgTable(
  'email_messages',
  {
    /** The `messages` row. */
    messageId: uuid('message_id').primaryKey(),
    interactionId: uuid('interaction_id').notNull(),
    /** in or out */
    direction: text('direction').notNull(),
    mailboxId: text('mailbox_id'),
    /** `<id@host>`: received, or written by Switchboard for what it sends. */
    rfcMessageId: text('rfc_message_id'),
    inReplyTo: text('in_reply_to'),
    references: text('references').array().notNull().default(sql`'{}'`),
    /** `{ from, to, cc, replyTo }` as lists of `{ address, name }`. */
    addresses: jsonb('addresses').$type<Record<string, { address: string; name: string }[]>>().notNull().default({}),
    subject: text('subject'),
    /** The HTML body, sanitized for display. */
    html: text('html'),
    /** Headers of the top-level message by lower-cased name. */
    headers: jsonb('headers').$type<Record<string, string[]>>().notNull().default({}),
    /** The message as received (for a message too large to keep, its beginning). */
    raw: bytea('raw'),
    rawTruncated: boolean('raw_truncated').notNull().default(false),
    size: integer('size').notNull().default(0),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('email_messages_rfc_idx').on(t.rfcMessageId), index('email_messages_interaction_idx').on(t.interactionId, t.createdAt)],
);

/** Attachments of received messages, and those an agent sends. */
export const emailAttachments = pgTable(
  'email_attachments',
  {
    id: uuid('id').primaryKey(),
    messageId: uuid('message_id').notNull(),
    position: integer('position').notNull(),
    filename: text('filename'),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    /** Null when the content was not kept (a size limit). */
    content: bytea('content'),
    dropReason: text('drop_reason'),
    contentId: text('content_id'),
    inline: boolean('inline').notNull().default(false),
  },
  (t) => [index('email_attachments_message_idx').on(t.messageId, t.position)],
);

/**
 * Outbound sends: the Message-ID chosen on the first attempt, and whether the SMTP server accepted
 * the message. Acceptance is recorded before the send job completes; a retry finds it and does not
 * send again.
 */
export const emailSends = pgTable('email_sends', {
  messageId: uuid('message_id').primaryKey(),
  rfcMessageId: text('rfc_message_id').notNull(),
  /** sending, accepted or rejected */
  status: text('status').notNull(),
  attempts: integer('attempts').notNull().default(0),
  /** While an attempt is under way: until when it holds the send (a second attempt waits meanwhile). */
  leaseUntil: at('lease_until'),
  smtpResponse: text('smtp_response'),
  lastError: text('last_error'),
  acceptedAt: at('accepted_at'),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/** The loop guard: when each sender was last sent an acknowledgement. */
export const emailAcknowledgements = pgTable('email_acknowledgements', {
  sender: text('sender').primaryKey(),
  lastAt: at('last_at').notNull(),
  count: integer('count').notNull().default(1),
});
