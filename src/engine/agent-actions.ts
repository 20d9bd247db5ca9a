/**
 * What an agent does to an interaction it holds. Each action checks, inside its transaction, that
 * the caller holds the offer or the interaction, so nothing is applied for anyone else.
 */
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { InteractionEvent } from '../../machines/interaction.types.ts';
import type { ReplyCheck } from '../channels/channel-module.ts';
import { composeReply } from '../desk/compose-reply.ts';
import { defaultDispositionFor, dispositionsFor } from '../desk/dispositions.ts';
import { requestReview } from '../desk/reviews.ts';
import { SwitchboardError } from '../errors.ts';
import { keyOf, type Engine } from './engine.ts';
import { applyInteractionEvents, readForChange, type LockedInteraction, type TransitionResult } from './interaction-runtime.ts';
import type { OutboxEntry } from './outbox.ts';

export type Transfer = { agentId: string } | { workgroupId: string };


async function actAsHolder(
  tx: TransactionSql,
  interactionId: string,
  agentId: string,
  event: InteractionEvent,
  now: Date,
  outbox: OutboxEntry[],
  locked?: LockedInteraction,
): Promise<TransitionResult> {
  const record = locked ?? (await readForChange(tx, interactionId));
  if (record.context.agentId !== agentId) {
    throw new SwitchboardError('NOT_YOUR_INTERACTION', `interaction ${interactionId} is not held by ${agentId}`);
  }
  const result = await applyInteractionEvents(tx, record, [event], `user:${agentId}`, now, outbox);
  if (!result.handled) {
    throw new SwitchboardError('INVALID_STATE', `interaction ${interactionId} is ${record.state}; ${event.type} does not apply`);
  }
  return result;
}

/** An action names its interaction, and its agent when it may give the agent's capacity back (the agent's row changes too). */
function keysOf(interactionId: string, agentId: string, releases: boolean): string[] {
  return releases ? [keyOf.interaction(interactionId), keyOf.agent(agentId)] : [keyOf.interaction(interactionId)];
}

export class AgentActions {
  readonly #engine: Engine;
  readonly #replyChecks: ReadonlyMap<string, ReplyCheck>;

  constructor(engine: Engine, replyChecks: ReadonlyMap<string, ReplyCheck> = new Map()) {
    this.#engine = engine;
    this.#replyChecks = replyChecks;
  }

  /** `releases`: the action may give the agent's capacity back (its agent row changes too). */
  #act(interactionId: string, agentId: string, event: InteractionEvent, releases = false): Promise<TransitionResult> {
    return this.#engine.transaction((tx, outbox, now) => actAsHolder(tx, interactionId, agentId, event, now, outbox), keysOf(interactionId, agentId, releases));
  }

  accept(interactionId: string, agentId: string): Promise<TransitionResult> {
    return this.#act(interactionId, agentId, { type: 'ACCEPT', agentId });
  }

  decline(interactionId: string, agentId: string): Promise<TransitionResult> {
    return this.#act(interactionId, agentId, { type: 'DECLINE', agentId }, true);
  }

  /**
   * Records the agent's message (pending) and hands it to the channel through the outbox; or, when the
   * agent, workgroup or category is flagged for review, stores it `pending_review` and queues a review.
   * With a standard response, its placeholders are filled and its id recorded.
   */
  reply(
    interactionId: string,
    agentId: string,
    text: string | null,
    options: {
      responseId?: string | null;
      /** Runs in the reply's transaction once the message is stored, for what a channel keeps with it (email attachments). */
      attach?: (tx: TransactionSql, messageId: string) => Promise<void>;
    } = {},
  ): Promise<{ messageId: string; result: TransitionResult; status: 'pending' | 'pending_review'; reviewId: string | null }> {
    return this.#engine.transaction(async (tx, outbox, now) => {
      const messageId = randomUUID();
      const record = await readForChange(tx, interactionId);
      if (record.context.agentId !== agentId) throw new SwitchboardError('NOT_YOUR_INTERACTION', `interaction ${interactionId} is not held by ${agentId}`);
      const { about } = record;
      const { channel } = record.context;
      const composed = await composeReply(
        tx,
        this.#engine.config.current(),
        { agentId, body: text, responseId: options.responseId ?? null },
        { ...about, channel, workgroup: record.context.workgroup, category: record.context.category },
      );
      const { body, responseId } = composed;
      const status = composed.review ? 'pending_review' : 'pending';
      const check = this.#replyChecks.get(channel);
      if (check) await check(tx, { interactionId, channel, from: about.to, to: about.from, body, agentId });
      const subject = about.subject === null ? null : /^re:/i.test(about.subject) ? about.subject : `Re: ${about.subject}`;
      const metadata = responseId === null ? {} : { responseId };
      // The message goes out ahead of the interaction's statement, in its round trip (nothing in between
      // needs it written); a failure of it is the error reported, not the aborted transaction's after it.
      const stored = tx`
        insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, author_id, status, metadata, created_at, updated_at)
        values (${messageId}, ${interactionId}, 'out', ${channel}, ${about.to}, ${about.from},
                ${subject}, ${body}, ${agentId}, ${status}, ${tx.json(metadata)}, ${now}, ${now})`.execute();
      stored.catch(() => {});
      if (options.attach) {
        await stored;
        await options.attach(tx, messageId);
      }
      const event: InteractionEvent = composed.review
        ? { type: 'REVIEW_REQUESTED', agentId, messageId, responseId }
        : { type: 'REPLY', agentId, messageId, responseId };
      const [result] = await Promise.all([actAsHolder(tx, interactionId, agentId, event, now, outbox, record), stored]);
      const reviewId = composed.review
        ? await requestReview(tx, { interactionId, messageId, workgroup: composed.workgroup, category: composed.category, agentId, responseId, body }, now, outbox)
        : null;
      return { messageId, result, status, reviewId };
    }, [keyOf.interaction(interactionId)]);
  }

  transfer(interactionId: string, agentId: string, to: Transfer): Promise<TransitionResult> {
    const config = this.#engine.config.current();
    return this.#engine.transaction(async (tx, outbox, now) => {
      if ('agentId' in to) {
        const [target] = await tx`select id from agents where id = ${to.agentId}`;
        if (!target) throw new SwitchboardError('UNKNOWN_AGENT', `unknown agent "${to.agentId}"`);
        if (to.agentId === agentId) throw new SwitchboardError('VALIDATION_FAILED', 'an interaction cannot be transferred to its own agent');
      } else if (!config.workgroups.some((w) => w.id === to.workgroupId)) {
        throw new SwitchboardError('UNKNOWN_WORKGROUP', `unknown workgroup "${to.workgroupId}"`);
      }
      const record = await readForChange(tx, interactionId);
      const category = config.categories.find((c) => c.id === record.context.category);
      return actAsHolder(
        tx,
        interactionId,
        agentId,
        {
          type: 'TRANSFER',
          agentId,
          toAgentId: 'agentId' in to ? to.agentId : null,
          toWorkgroupId: 'workgroupId' in to ? to.workgroupId : null,
          priority: config.routing.transferPriority,
          overflowAfterMs: category?.overflowAfter ?? record.context.overflowAfterMs,
        },
        now,
        outbox,
        record,
      );
    }, keysOf(interactionId, agentId, true));
  }

  /** Wrap-up follows; its default disposition is the interaction's workgroup's. Refused while a reply waits for review. */
  done(interactionId: string, agentId: string): Promise<TransitionResult> {
    const config = this.#engine.config.current();
    return this.#engine.transaction(async (tx, outbox, now) => {
      const record = await readForChange(tx, interactionId);
      if (record.context.agentId === agentId && (record.context.pendingReviews ?? []).length > 0) {
        throw new SwitchboardError('REVIEW_PENDING', `a reply on interaction ${interactionId} waits for review`);
      }
      const event: InteractionEvent = {
        type: 'DONE',
        agentId,
        wrapUpTimeoutMs: config.routing.wrapUpTimeout,
        defaultDisposition: defaultDispositionFor(config, record.context.workgroup),
      };
      return actAsHolder(tx, interactionId, agentId, event, now, outbox, record);
    }, [keyOf.interaction(interactionId)]);
  }

  /** Accepts only the dispositions of the interaction's workgroup (or the global list). */
  wrapUp(interactionId: string, agentId: string, disposition: string): Promise<TransitionResult> {
    const config = this.#engine.config.current();
    return this.#engine.transaction(async (tx, outbox, now) => {
      const record = await readForChange(tx, interactionId);
      const allowed = dispositionsFor(config, record.context.workgroup).map((d) => d.code);
      if (!allowed.includes(disposition)) {
        throw new SwitchboardError('UNKNOWN_DISPOSITION', `unknown disposition "${disposition}" for workgroup ${record.context.workgroup ?? '(none)'}`, {
          allowed,
        });
      }
      return actAsHolder(tx, interactionId, agentId, { type: 'WRAP_UP', agentId, disposition }, now, outbox, record);
    }, keysOf(interactionId, agentId, true));
  }
}
