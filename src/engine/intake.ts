/**
 * The intake every channel shares: store the interaction and its first message, then, in the same
 * transaction, acknowledge, categorize and queue it (or discard it with a reason).
 */
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import { initialTransition } from 'xstate';
import { interactionMachine, stageOf, statePath } from '../../machines/interaction.machine.ts';
import type { Channel, InteractionInput } from '../../machines/interaction.types.ts';
import type { ConfigStore } from '../config/config-store.ts';
import { applyInteractionEvents, type LockedInteraction } from './interaction-runtime.ts';
import { persistSnapshot } from './machine-step.ts';
import type { OutboxEntry } from './outbox.ts';

export interface IntakeRequest {
  channel: Channel;
  from: string;
  to: string;
  subject?: string | null;
  body: string;
  /** Set when the channel decided no human should see it (auto-reply, bounce, opt-out). */
  discardReason?: string | null;
  /** Whether the channel sent an acknowledgement to the customer. */
  acknowledged?: boolean;
  /** The agent who last handled this customer's thread; used when the category routes replies back. */
  lastAgentId?: string | null;
  /** Category to use when no screening rule matched (e.g. the receiving number's), instead of the configured default. */
  defaultCategory?: string | null;
  contactId?: string | null;
  messageId?: string;
  externalId?: string | null;
  metadata?: Record<string, unknown>;
}

export interface IntakeResult {
  id: string;
  reference: number;
  state: string;
  messageId: string;
  category: string | null;
}

export async function intake(
  tx: TransactionSql,
  config: ConfigStore,
  request: IntakeRequest,
  actor: string,
  now: Date,
  outbox: OutboxEntry[],
): Promise<IntakeResult> {
  const id = randomUUID();
  const [seq] = await tx<{ reference: number }[]>`select nextval(pg_get_serial_sequence('interactions', 'reference'))::int as reference`;
  const reference = seq!.reference;
  const input: InteractionInput = { id, channel: request.channel, reference };
  const [initial] = initialTransition(interactionMachine, input);
  const created: LockedInteraction = {
    id,
    state: stageOf(initial.value),
    statePath: statePath(initial.value),
    version: 0,
    context: initial.context,
    timers: {},
    snapshot: persistSnapshot(initial),
  };

  // The interaction, its first event and its first message, in one round trip.
  const messageId = request.messageId ?? randomUUID();
  await tx`
    with interaction as (
      insert into interactions (id, reference, channel, state, state_path, snapshot, version, from_address, to_address, subject, contact_id, created_at, updated_at)
      values (${id}, ${reference}, ${request.channel}, ${created.state}, ${created.statePath}, ${tx.json(created.snapshot as never)}, 0,
              ${request.from}, ${request.to}, ${request.subject ?? null}, ${request.contactId ?? null}, ${now}, ${now})
      returning id
    ), init as (
      insert into interaction_events (interaction_id, seq, type, event, actor, at, state, state_path, workgroup, agent_id, priority)
      select id, 0, 'xstate.init', ${tx.json({ type: 'xstate.init', input } as never)}, ${actor}, ${now}, ${created.state}, ${created.statePath}, null, null, 0
      from interaction
    )
    insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, status, external_id, metadata, created_at, updated_at)
    select ${messageId}, id, 'in', ${request.channel}, ${request.from}, ${request.to}, ${request.subject ?? null}, ${request.body},
           'received', ${request.externalId ?? null}, ${tx.json((request.metadata ?? {}) as never)}, ${now}, ${now}
    from interaction`;

  if (request.discardReason) {
    const result = await applyInteractionEvents(tx, created, [{ type: 'DISCARD', reason: request.discardReason }], actor, now, outbox);
    return { id, reference, state: result.after.state, messageId, category: null };
  }

  const screened = config.categorizer().categorize(request.subject, request.body);
  const { routing, categories } = config.current();
  const fallback = screened.matchedRule === null && request.defaultCategory ? categories.find((c) => c.id === request.defaultCategory) : undefined;
  const category = fallback ?? screened.category;
  const queued = await applyInteractionEvents(
    tx,
    created,
    [
      { type: 'ACKNOWLEDGE', sent: request.acknowledged ?? false },
      {
        type: 'CATEGORIZE',
        category: category.id,
        workgroup: category.workgroup,
        skills: category.skills,
        priority: category.priority,
        lastAgentRouting: category.lastAgentRouting,
        overflowAfterMs: category.overflowAfter,
        targetAgentId: category.lastAgentRouting ? (request.lastAgentId ?? null) : null,
        agingEveryMs: routing.aging.every,
        agingAdd: routing.aging.add,
      },
      { type: 'ENQUEUE' },
    ],
    actor,
    now,
    outbox,
  );
  return { id, reference, state: queued.after.state, messageId, category: category.id };
}
