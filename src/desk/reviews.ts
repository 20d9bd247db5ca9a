/**
 * Review before send. A flagged agent's reply is stored `pending_review` (nothing goes out) and a review
 * is queued for the supervisors of the interaction's workgroup. A supervisor approves it, as written or
 * edited (the edit and the original are kept), and it is sent; or rejects it with a comment, and it
 * goes back to its author. Each decision is one transaction with the interaction's event.
 */
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { ReplyCheck } from '../channels/channel-module.ts';
import type { Engine } from '../engine/engine.ts';
import { applyInteractionEvent } from '../engine/interaction-runtime.ts';
import type { OutboxEntry } from '../engine/outbox.ts';
import { SwitchboardError } from '../errors.ts';
import type { Caller } from '../http/auth.ts';
import { appendSupervisorEvent } from './supervisor-stream.ts';
import { assertSupervises, supervisedWorkgroups } from './supervisor-scope.ts';

export type ReviewStatus = 'pending' | 'approved' | 'rejected';

export interface ReviewView {
  id: string;
  interactionId: string;
  messageId: string;
  workgroup: string | null;
  category: string | null;
  agentId: string;
  responseId: string | null;
  status: ReviewStatus;
  body: string;
  editedBody: string | null;
  comment: string | null;
  requestedAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
}

interface ReviewRow {
  id: string;
  interaction_id: string;
  message_id: string;
  workgroup: string | null;
  category: string | null;
  agent_id: string;
  response_id: string | null;
  status: ReviewStatus;
  body: string;
  edited_body: string | null;
  comment: string | null;
  requested_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
}

const toView = (row: ReviewRow): ReviewView => ({
  id: row.id,
  interactionId: row.interaction_id,
  messageId: row.message_id,
  workgroup: row.workgroup,
  category: row.category,
  agentId: row.agent_id,
  responseId: row.response_id,
  status: row.status,
  body: row.body,
  editedBody: row.edited_body,
  comment: row.comment,
  requestedAt: row.requested_at.toISOString(),
  decidedAt: row.decided_at?.toISOString() ?? null,
  decidedBy: row.decided_by,
});

/** Queues a review of a reply just stored as `pending_review` (same transaction). */
export async function requestReview(
  tx: TransactionSql,
  review: { interactionId: string; messageId: string; workgroup: string | null; category: string | null; agentId: string; responseId: string | null; body: string },
  now: Date,
  outbox: OutboxEntry[],
): Promise<string> {
  const id = randomUUID();
  await tx`
    insert into desk_reviews (id, message_id, interaction_id, workgroup, category, agent_id, response_id, status, body, requested_at)
    values (${id}, ${review.messageId}, ${review.interactionId}, ${review.workgroup}, ${review.category}, ${review.agentId},
            ${review.responseId}, 'pending', ${review.body}, ${now})`;
  await appendSupervisorEvent(
    tx,
    'review_requested',
    { reviewId: id, interactionId: review.interactionId, messageId: review.messageId, workgroup: review.workgroup, agentId: review.agentId, body: review.body },
    outbox,
  );
  return id;
}

export async function listReviews(sql: Sql, scope: string[] | null, status: ReviewStatus | 'all', limit: number): Promise<ReviewView[]> {
  const rows = await sql<ReviewRow[]>`
    select * from desk_reviews
    where ${status === 'all' ? sql`true` : sql`status = ${status}`}
      and ${scope === null ? sql`true` : sql`workgroup = any(${scope}::text[])`}
    order by requested_at ${status === 'pending' ? sql`asc` : sql`desc`}, id
    limit ${limit}`;
  return rows.map(toView);
}

export class ReviewActions {
  readonly #engine: Engine;
  readonly #replyChecks: ReadonlyMap<string, ReplyCheck>;

  constructor(engine: Engine, replyChecks: ReadonlyMap<string, ReplyCheck> = new Map()) {
    this.#engine = engine;
    this.#replyChecks = replyChecks;
  }

  /** Sends the reply, with `editedBody` instead of the agent's text when given. */
  approve(reviewId: string, caller: Caller, editedBody?: string): Promise<ReviewView> {
    return this.#decide(reviewId, caller, async (tx, review, now, outbox) => {
      const edited = editedBody !== undefined && editedBody !== review.body;
      const body = edited ? editedBody : review.body;
      const [message] = await tx<{ channel: string; from_address: string; to_address: string }[]>`
        select channel, from_address, to_address from messages where id = ${review.message_id}`;
      if (!message) throw new SwitchboardError('UNKNOWN_MESSAGE', `message ${review.message_id} not found`);
      const check = this.#replyChecks.get(message.channel);
      if (check) {
        await check(tx, { interactionId: review.interaction_id, channel: message.channel, from: message.from_address, to: message.to_address, body, agentId: review.agent_id });
      }
      const decision = { reviewId: review.id, decision: 'approved', by: caller.id, at: now.toISOString(), edited, ...(edited ? { originalBody: review.body } : {}) };
      await tx`
        update messages set body = ${body}, status = 'pending', metadata = metadata || ${tx.json({ review: decision })}, updated_at = ${now}
        where id = ${review.message_id}`;
      const [row] = await tx<ReviewRow[]>`
        update desk_reviews set status = 'approved', edited_body = ${edited ? body : null}, decided_at = ${now}, decided_by = ${caller.id}
        where id = ${review.id} returning *`;
      await this.#apply(tx, review, { type: 'REVIEW_APPROVED', supervisorId: caller.id, messageId: review.message_id, authorId: review.agent_id, edited }, caller, now, outbox);
      return row!;
    });
  }

  /** Returns the reply to its author with a comment; nothing is sent. */
  reject(reviewId: string, caller: Caller, comment: string): Promise<ReviewView> {
    return this.#decide(reviewId, caller, async (tx, review, now, outbox) => {
      const decision = { reviewId: review.id, decision: 'rejected', by: caller.id, at: now.toISOString(), comment };
      await tx`
        update messages set status = 'rejected', metadata = metadata || ${tx.json({ review: decision })}, updated_at = ${now}
        where id = ${review.message_id}`;
      const [row] = await tx<ReviewRow[]>`
        update desk_reviews set status = 'rejected', comment = ${comment}, decided_at = ${now}, decided_by = ${caller.id}
        where id = ${review.id} returning *`;
      await this.#apply(tx, review, { type: 'REVIEW_REJECTED', supervisorId: caller.id, messageId: review.message_id, authorId: review.agent_id, comment }, caller, now, outbox);
      return row!;
    });
  }

  #decide(
    reviewId: string,
    caller: Caller,
    decide: (tx: TransactionSql, review: ReviewRow, now: Date, outbox: OutboxEntry[]) => Promise<ReviewRow>,
  ): Promise<ReviewView> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(reviewId)) {
      return Promise.reject(new SwitchboardError('REVIEW_NOT_FOUND', `review ${reviewId} not found`));
    }
    return this.#engine.transaction(async (tx, outbox, now) => {
      const [review] = await tx<ReviewRow[]>`select * from desk_reviews where id = ${reviewId} for update`;
      if (!review) throw new SwitchboardError('REVIEW_NOT_FOUND', `review ${reviewId} not found`);
      assertSupervises(supervisedWorkgroups(this.#engine.config.current(), caller), review.workgroup);
      if (review.status !== 'pending') throw new SwitchboardError('REVIEW_DECIDED', `review ${reviewId} was ${review.status} already`);
      const row = await decide(tx, review, now, outbox);
      await appendSupervisorEvent(
        tx,
        'review_decided',
        { reviewId: row.id, interactionId: row.interaction_id, messageId: row.message_id, workgroup: row.workgroup, agentId: row.agent_id, decision: row.status, by: caller.id },
        outbox,
      );
      return toView(row);
    }, [`review:${reviewId}`]);
  }

  async #apply(
    tx: TransactionSql,
    review: ReviewRow,
    event: Parameters<typeof applyInteractionEvent>[2],
    caller: Caller,
    now: Date,
    outbox: OutboxEntry[],
  ): Promise<void> {
    const result = await applyInteractionEvent(tx, review.interaction_id, event, `user:${caller.id}`, now, outbox);
    if (!result.handled) {
      throw new SwitchboardError('INVALID_STATE', `interaction ${review.interaction_id} is ${result.before.state}; ${event.type} does not apply`);
    }
  }
}
