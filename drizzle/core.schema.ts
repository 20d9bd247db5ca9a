/**
 * Where Switchboard keeps everything. Interactions and agents each have a current snapshot (with a
 * version) and an append-only event log; the outbox carries side effects out of transactions; the
 * stream table is every user's durable event feed (SSE with Last-Event-ID resumption).
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/** An armed timer as stored with its interaction (a bare job id in rows written before timers kept their moment). */
export type StoredTimer = string | { jobId: string; fireAt: number; event: Record<string, unknown> };

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    status: text('status').notNull().default('logged_out'),
    reason: text('reason'),
    statusSince: timestamp('status_since', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    workgroups: text('workgroups').array().notNull().default(sql`'{}'`),
    /** `{ skill: level }` */
    skills: jsonb('skills').$type<Record<string, number>>().notNull().default({}),
    capEmail: integer('cap_email').notNull().default(0),
    capSms: integer('cap_sms').notNull().default(0),
    loadEmail: integer('load_email').notNull().default(0),
    loadSms: integer('load_sms').notNull().default(0),
    /** When the agent last became free of work; longest idle is offered first. */
    idleSince: timestamp('idle_since', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    snapshot: jsonb('snapshot').notNull(),
    version: integer('version').notNull().default(0),
    eventSeq: integer('event_seq').notNull().default(0),
  },
  (t) => [
    index('agents_workgroups_idx').using('gin', t.workgroups),
  ],
);

/**
 * Where a new interaction finds its agent without looking at every agent: one row per agent, workgroup,
 * routing profile (the sorted skills a category requires) and media type, for every profile whose skills
 * the agent has, with its proficiency in them (`score`), whether it can take such work now (`ready`:
 * available with room) and since when it is idle. Rows are kept by triggers on `agents` and
 * `routing_profiles` (migration 0008), so every change to an agent, in any statement, keeps them true.
 */
export const agentSlots = pgTable(
  'agent_slots',
  {
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    workgroup: text('workgroup').notNull(),
    skills: text('skills').array().notNull(),
    channel: text('channel').notNull(),
    score: integer('score').notNull(),
    ready: boolean('ready').notNull(),
    idleSince: timestamp('idle_since', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.agentId, t.workgroup, t.skills, t.channel] }),
    // Best proficiency, then longest idle: the first row is the agent to offer.
    index('agent_slots_pick_idx')
      .on(t.workgroup, t.skills, t.channel, t.score.desc(), t.idleSince)
      .where(sql`${t.ready}`),
  ],
);

/** The routing profiles in use: the distinct sorted skill sets the configured categories require. */
export const routingProfiles = pgTable('routing_profiles', {
  skills: text('skills').array().primaryKey(),
});

export const agentEvents = pgTable(
  'agent_events',
  {
    agentId: text('agent_id').notNull(),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    event: jsonb('event').notNull(),
    actor: text('actor').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    status: text('status').notNull(),
    reason: text('reason'),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.seq] })],
);

/** The people who write in, found by their normalized email address or E.164 phone number. */
export const contacts = pgTable('contacts', {
  id: uuid('id').primaryKey(),
  email: text('email').unique(),
  phone: text('phone').unique(),
  name: text('name'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const interactions = pgTable(
  'interactions',
  {
    id: uuid('id').primaryKey(),
    reference: bigserial('reference', { mode: 'number' }).notNull().unique(),
    channel: text('channel').notNull(),
    /** Stage: received, acknowledged, categorized, queued, offered, active, wrapUp, closed, discarded. */
    state: text('state').notNull(),
    statePath: text('state_path').notNull(),
    snapshot: jsonb('snapshot').notNull(),
    version: integer('version').notNull(),
    // Projections of the snapshot, kept in the same transaction, for routing and listing.
    category: text('category'),
    workgroup: text('workgroup'),
    skills: text('skills').array().notNull().default(sql`'{}'`),
    priority: integer('priority').notNull().default(0),
    targetAgentId: text('target_agent_id'),
    agentId: text('agent_id'),
    lastAgentId: text('last_agent_id'),
    declinedBy: text('declined_by').array().notNull().default(sql`'{}'`),
    disposition: text('disposition'),
    discardReason: text('discard_reason'),
    // Where the customer wrote from and to (the DNIS of reports).
    fromAddress: text('from_address').notNull(),
    toAddress: text('to_address').notNull(),
    subject: text('subject'),
    contactId: uuid('contact_id'),
    /** Supervisor alerts open on it (desk_alerts not cleared), kept with them. */
    openAlerts: integer('open_alerts').notNull().default(0),
    /**
     * Armed timers: machine timer id -> its job id, when it is due and the event it delivers (older rows
     * hold the job id alone). Postgres, not Redis, is where a timer is known to be armed: see
     * engine/lost-jobs.ts.
     */
    timers: jsonb('timers').$type<Record<string, StoredTimer>>().notNull().default({}),
    /** When the earliest armed timer with a known moment is due; null when none is. */
    nextTimerAt: timestamp('next_timer_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    queuedAt: timestamp('queued_at', { withTimezone: true, mode: 'date' }),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    // The queue: routable interactions of a workgroup by priority, then age.
    index('interactions_queue_idx')
      .on(t.workgroup, t.channel, t.priority.desc(), t.createdAt)
      .where(sql`${t.state} = 'queued' and ${t.targetAgentId} is null`),
    index('interactions_targeted_idx')
      .on(t.targetAgentId, t.priority.desc(), t.createdAt)
      .where(sql`${t.state} = 'queued' and ${t.targetAgentId} is not null`),
    index('interactions_agent_idx').on(t.agentId).where(sql`${t.agentId} is not null`),
    index('interactions_state_idx').on(t.state),
    index('interactions_next_timer_idx').on(t.nextTimerAt).where(sql`${t.nextTimerAt} is not null`),
    index('interactions_from_idx').on(t.fromAddress, t.createdAt),
    index('interactions_contact_idx').on(t.contactId, t.createdAt),
  ],
);

export const interactionEvents = pgTable(
  'interaction_events',
  {
    interactionId: uuid('interaction_id').notNull(),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    event: jsonb('event').notNull(),
    /** Who caused it: `user:<id>`, `system`, `timer`, `router`, `channel:<name>`. */
    actor: text('actor').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    state: text('state').notNull(),
    statePath: text('state_path').notNull(),
    // What reports group by, as it stood after the event.
    workgroup: text('workgroup'),
    agentId: text('agent_id'),
    priority: integer('priority').notNull(),
  },
  (t) => [primaryKey({ columns: [t.interactionId, t.seq] }), index('interaction_events_at_idx').on(t.at)],
);

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey(),
    interactionId: uuid('interaction_id').notNull(),
    direction: text('direction').notNull(),
    channel: text('channel').notNull(),
    fromAddress: text('from_address').notNull(),
    toAddress: text('to_address').notNull(),
    subject: text('subject'),
    body: text('body').notNull(),
    authorId: text('author_id'),
    /** pending, sent, delivered, undelivered, failed, received */
    status: text('status').notNull(),
    externalId: text('external_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('messages_interaction_idx').on(t.interactionId, t.createdAt),
    index('messages_external_idx').on(t.externalId),
    // Replies waiting to leave (see engine/lost-jobs.ts).
    index('messages_pending_out_idx').on(t.updatedAt).where(sql`${t.direction} = 'out' and ${t.status} = 'pending'`),
  ],
);

export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
    availableAt: timestamp('available_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [
    index('outbox_available_idx').on(t.availableAt),
    // A timer cancelled while its arming is still held back here finds it, and both go (outbox.ts).
    index('outbox_timer_arm_idx')
      .on(sql`(${t.payload} ->> 'jobId')`)
      .where(sql`${t.kind} = 'timer.arm'`),
  ],
);

/** A transaction id (Postgres's xid8), as text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

export const streamEvents = pgTable(
  'stream_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    type: text('type').notNull(),
    data: jsonb('data').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /**
     * The transaction that wrote it. Ids are taken when rows are written, not when they commit, so a
     * stream is read in (tx, id) order and only as far as every older transaction has ended (see
     * http/stream-hub.ts): an event never commits behind one already read.
     */
    tx: xid8('tx')
      .notNull()
      .default(sql`pg_current_xact_id()`),
  },
  (t) => [index('stream_events_user_tx_idx').on(t.userId, t.tx, t.id)],
);

export type InteractionRow = typeof interactions.$inferSelect;
export type AgentRow = typeof agents.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
