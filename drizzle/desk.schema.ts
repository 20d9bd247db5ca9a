/**
 * The desk's tables: the standard response library (searchable), reviews of agents' replies, aged-item
 * alerts, agents' status messages, and the configuration in force (every version of the document, and
 * the audit log of who changed what).
 */
import { sql } from 'drizzle-orm';
import { bigserial, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** Standard responses, kept in line with the configuration's `responses`; `search` weighs keywords over title over body. */
export const deskResponses = pgTable(
  'desk_responses',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    keywords: text('keywords').array().notNull().default(sql`'{}'`),
    /** email, sms or both */
    channel: text('channel').notNull(),
    /** Empty: every workgroup. */
    workgroups: text('workgroups').array().notNull().default(sql`'{}'`),
    search: tsvector('search').notNull(),
    updatedAt: at('updated_at'),
  },
  (t) => [index('desk_responses_search_idx').using('gin', t.search)],
);

/** Replies that waited for a supervisor: the request, the decision, and the edit when there was one. */
export const deskReviews = pgTable(
  'desk_reviews',
  {
    id: uuid('id').primaryKey(),
    messageId: uuid('message_id').notNull().unique(),
    interactionId: uuid('interaction_id').notNull(),
    /** The interaction's workgroup and category when the review was asked for; reviews are queued per workgroup. */
    workgroup: text('workgroup'),
    category: text('category'),
    agentId: text('agent_id').notNull(),
    responseId: text('response_id'),
    /** pending, approved, rejected */
    status: text('status').notNull(),
    body: text('body').notNull(),
    editedBody: text('edited_body'),
    comment: text('comment'),
    requestedAt: at('requested_at'),
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }),
    decidedBy: text('decided_by'),
  },
  (t) => [
    index('desk_reviews_pending_idx').on(t.workgroup, t.requestedAt).where(sql`${t.status} = 'pending'`),
    index('desk_reviews_interaction_idx').on(t.interactionId),
  ],
);

/** Items that waited past a threshold: raised by a timer, cleared when the item moved. */
export const deskAlerts = pgTable(
  'desk_alerts',
  {
    id: uuid('id').primaryKey(),
    ruleId: text('rule_id').notNull(),
    interactionId: uuid('interaction_id').notNull(),
    /** What was watched (waiting, active, open), the stages it covers, and the event it began with. */
    watch: text('watch').notNull(),
    stages: text('stages').array().notNull(),
    enteredSeq: integer('entered_seq').notNull(),
    enteredAt: timestamp('entered_at', { withTimezone: true, mode: 'date' }).notNull(),
    thresholdMs: integer('threshold_ms').notNull(),
    channel: text('channel').notNull(),
    workgroup: text('workgroup'),
    category: text('category'),
    raisedAt: at('raised_at'),
    clearedAt: timestamp('cleared_at', { withTimezone: true, mode: 'date' }),
    /** The event that moved the item (e.g. ACCEPT), and who caused it. */
    clearedBy: text('cleared_by'),
    clearedByActor: text('cleared_by_actor'),
  },
  (t) => [
    unique('desk_alerts_once').on(t.ruleId, t.interactionId, t.enteredSeq),
    index('desk_alerts_open_idx').on(t.interactionId).where(sql`${t.clearedAt} is null`),
    index('desk_alerts_raised_idx').on(t.raisedAt),
  ],
);

/**
 * The alert timers armed and not fired yet: what Redis should hold as alert jobs, kept so that a job
 * Redis lost is armed again (src/desk/lost-desk-jobs.ts). Written before the job is queued; the job,
 * when it runs, removes its row.
 */
export const deskAlertTimers = pgTable(
  'desk_alert_timers',
  {
    ruleId: text('rule_id').notNull(),
    interactionId: uuid('interaction_id').notNull(),
    enteredSeq: integer('entered_seq').notNull(),
    fireAt: timestamp('fire_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** The job's data, as queued. */
    job: jsonb('job').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.interactionId, t.enteredSeq] }), index('desk_alert_timers_fire_idx').on(t.fireAt)],
);

/** The status message each user shows (one of the configured ones). */
export const deskStatusMessages = pgTable('desk_status_messages', {
  userId: text('user_id').primaryKey(),
  message: text('message').notNull(),
  since: at('since'),
});

/** Every version of the configuration document; the highest is in force. */
export const configVersions = pgTable('config_versions', {
  version: integer('version').primaryKey(),
  /** The validated document, users' tokens replaced by their hashes. */
  document: jsonb('document').$type<Record<string, unknown>>().notNull(),
  /** file (the start-up file), api, import */
  source: text('source').notNull(),
  /** For `file`: the hash of the file's document, to know when the file changed. */
  fileHash: text('file_hash'),
  actor: text('actor').notNull(),
  createdAt: at('created_at'),
});

/** Who changed the configuration, how, and each change with its value before and after. */
export const configAudit = pgTable(
  'config_audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: at('at'),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    versionFrom: integer('version_from'),
    versionTo: integer('version_to').notNull(),
    changes: jsonb('changes').$type<{ path: string; before: unknown; after: unknown }[]>().notNull(),
  },
  (t) => [index('config_audit_at_idx').on(t.at)],
);
