/**
 * The SMS channel's own tables. Messages themselves live in `messages` (core); these keep what SMS
 * adds: which provider message became which message (so a provider's retry is recognized), opt-outs
 * per sender and number with their history, delivery status history, and unmasked originals where
 * the configuration allows keeping them.
 */
import { bigserial, boolean, index, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' }).notNull().defaultNow();

/** Every inbound SMS accepted, by the provider's message id: a retry finds its row and changes nothing. */
export const smsInbound = pgTable(
  'sms_inbound',
  {
    provider: text('provider').notNull(),
    providerMessageId: text('provider_message_id').notNull(),
    /** The company's number it was sent to, and the sender, both normalized. */
    number: text('number').notNull(),
    sender: text('sender').notNull(),
    messageId: uuid('message_id').notNull(),
    interactionId: uuid('interaction_id'),
    /** opt_out, opt_in or help when the message was a keyword that took effect. */
    keyword: text('keyword'),
    receivedAt: at('received_at'),
  },
  (t) => [primaryKey({ columns: [t.provider, t.providerMessageId] }), index('sms_inbound_message_idx').on(t.messageId)],
);

/** Whether a sender has opted out of messages from one of the company's numbers (current state). */
export const smsOptOuts = pgTable(
  'sms_opt_outs',
  {
    number: text('number').notNull(),
    sender: text('sender').notNull(),
    optedOut: boolean('opted_out').notNull(),
    updatedAt: at('updated_at'),
  },
  (t) => [primaryKey({ columns: [t.number, t.sender] })],
);

/** Every opt-out and opt-in, append-only. */
export const smsOptOutEvents = pgTable(
  'sms_opt_out_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    number: text('number').notNull(),
    sender: text('sender').notNull(),
    /** opt_out or opt_in */
    action: text('action').notNull(),
    /** The keyword as the sender wrote it (e.g. "Stop"). */
    keyword: text('keyword').notNull(),
    provider: text('provider').notNull(),
    providerMessageId: text('provider_message_id').notNull(),
    at: at('at'),
  },
  (t) => [index('sms_opt_out_events_sender_idx').on(t.number, t.sender, t.id)],
);

/** Delivery status reports of outbound messages, one row per status reached (duplicates ignored). */
export const smsMessageStatus = pgTable(
  'sms_message_status',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    messageId: uuid('message_id').notNull(),
    provider: text('provider').notNull(),
    providerMessageId: text('provider_message_id').notNull(),
    /** The provider's own status word (queued, sent, delivered, undelivered, failed, ...). */
    status: text('status').notNull(),
    errorCode: text('error_code'),
    at: at('at'),
  },
  (t) => [unique('sms_message_status_once').on(t.messageId, t.status)],
);

/** Unmasked inbound text, kept only for numbers whose masking says `keepOriginal: true`. */
export const smsOriginals = pgTable('sms_originals', {
  messageId: uuid('message_id').primaryKey(),
  body: text('body').notNull(),
  createdAt: at('created_at'),
});
