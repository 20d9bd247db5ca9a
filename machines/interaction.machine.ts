/**
 * The life of one interaction. Pure: no I/O, no clock, no randomness. Everything from outside
 * (the chosen agent, ids, timeouts from the configuration) arrives in events, so a stored event log
 * replays to the same snapshot. Timers are delayed `raise`s with ids; the runtime turns them into
 * durable jobs and their `cancel`s into job removals. Each timer event carries what it was armed for,
 * and a guard drops it when that moment has passed.
 *
 * Supervisors act through events too: SET_PRIORITY and REASSIGN while queued, REVOKE to pull an offer
 * or an interaction back from its agent (who is then not offered it again until it is reassigned), and
 * the review decisions on agents' replies, which change no state: an approved reply is sent, a
 * rejected one goes back to its author, and the interaction cannot be done while a reply waits.
 */
import { and, assign, cancel, enqueueActions, raise, setup } from 'xstate';
import type { AgentNotice, InteractionContext, InteractionEvent, InteractionInput } from './interaction.types.ts';

export const NO_ANSWER = 'No answer';

export const interactionMachine = setup({
  types: {
    context: {} as InteractionContext,
    events: {} as InteractionEvent,
    input: {} as InteractionInput,
  },
  delays: {
    offerTimeout: ({ context }) => context.offerTimeoutMs,
    overflow: ({ context }) => context.overflowAfterMs,
    aging: ({ context }) => context.agingEveryMs,
    wrapUp: ({ context }) => context.wrapUpTimeoutMs,
  },
  actions: {
    // Executed by the runtime inside the transition's transaction or through the outbox.
    requestRouting: (_, _params: { interactionId: string }) => {},
    releaseAgent: (_, _params: { agentId: string; channel: InteractionContext['channel'] }) => {},
    setAgentNotReady: (_, _params: { agentId: string; reason: string }) => {},
    notifyAgent: (_, _params: { agentId: string; notice: AgentNotice }) => {},
    sendMessage: (_, _params: { messageId: string }) => {},
  },
  guards: {
    isTargeted: ({ context }) => context.targetAgentId !== null,
    offerAllowed: ({ context, event }) =>
      event.type === 'OFFER' &&
      (context.targetAgentId === null || context.targetAgentId === event.agentId) &&
      !context.declinedBy.includes(event.agentId),
    byHolder: ({ context, event }) => 'agentId' in event && event.agentId === context.agentId,
    currentOffer: ({ context, event }) => event.type === 'timer.offerTimeout' && event.offerId === context.offerId,
    currentTarget: ({ context, event }) => event.type === 'timer.overflow' && event.targetSeq === context.targetSeq,
    currentAging: ({ context, event }) => event.type === 'timer.aging' && event.agingSeq === context.agingSeq,
    currentWrapUp: ({ context, event }) => event.type === 'timer.wrapUp' && event.wrapUpSeq === context.wrapUpSeq,
    validTransfer: ({ context, event }) =>
      event.type === 'TRANSFER' &&
      event.agentId === context.agentId &&
      (event.toAgentId === null) !== (event.toWorkgroupId === null),
    validReassign: ({ event }) => event.type === 'REASSIGN' && (event.toAgentId === null) !== (event.toWorkgroupId === null),
    pendingReview: ({ context, event }) =>
      (event.type === 'REVIEW_APPROVED' || event.type === 'REVIEW_REJECTED') && (context.pendingReviews ?? []).includes(event.messageId),
    noPendingReview: ({ context }) => (context.pendingReviews ?? []).length === 0,
  },
}).createMachine({
  id: 'interaction',
  context: ({ input }) => ({
    id: input.id,
    channel: input.channel,
    reference: input.reference,
    acknowledged: false,
    category: null,
    workgroup: null,
    skills: [],
    priority: 0,
    lastAgentRouting: false,
    overflowAfterMs: 0,
    targetAgentId: null,
    targetSeq: 0,
    agingEveryMs: 0,
    agingAdd: 0,
    agingSeq: 0,
    offerId: null,
    offerTimeoutMs: 0,
    ronaPriorityIncrement: 0,
    agentId: null,
    lastAgentId: null,
    declinedBy: [],
    wrapUpTimeoutMs: 0,
    wrapUpSeq: 0,
    defaultDisposition: null,
    disposition: null,
    discardReason: null,
    transfers: 0,
    replies: 0,
    pendingReviews: [],
  }),
  initial: 'received',
  on: {
    REVIEW_APPROVED: {
      guard: 'pendingReview',
      actions: [
        assign({
          pendingReviews: ({ context, event }) => context.pendingReviews.filter((id) => id !== event.messageId),
          replies: ({ context }) => context.replies + 1,
        }),
        { type: 'sendMessage', params: ({ event }) => ({ messageId: event.messageId }) },
        {
          type: 'notifyAgent',
          params: ({ context, event }) => ({
            agentId: event.authorId,
            notice: { type: 'review_approved', interactionId: context.id, messageId: event.messageId, edited: event.edited },
          }),
        },
      ],
    },
    REVIEW_REJECTED: {
      guard: 'pendingReview',
      actions: [
        assign({ pendingReviews: ({ context, event }) => context.pendingReviews.filter((id) => id !== event.messageId) }),
        {
          type: 'notifyAgent',
          params: ({ context, event }) => ({
            agentId: event.authorId,
            notice: { type: 'review_rejected', interactionId: context.id, messageId: event.messageId, comment: event.comment },
          }),
        },
      ],
    },
    CUSTOMER_MESSAGE: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.agentId !== null) {
          enqueue({
            type: 'notifyAgent',
            params: {
              agentId: context.agentId,
              notice: { type: 'customer_message', interactionId: context.id, messageId: event.messageId },
            },
          });
        }
      }),
    },
  },
  states: {
    received: {
      on: {
        ACKNOWLEDGE: { target: 'acknowledged', actions: assign({ acknowledged: ({ event }) => event.sent }) },
        DISCARD: { target: 'discarded', actions: assign({ discardReason: ({ event }) => event.reason }) },
      },
    },
    acknowledged: {
      on: {
        CATEGORIZE: {
          target: 'categorized',
          actions: assign(({ event }) => ({
            category: event.category,
            workgroup: event.workgroup,
            skills: event.skills,
            priority: event.priority,
            lastAgentRouting: event.lastAgentRouting,
            overflowAfterMs: event.overflowAfterMs,
            targetAgentId: event.targetAgentId,
            agingEveryMs: event.agingEveryMs,
            agingAdd: event.agingAdd,
          })),
        },
        DISCARD: { target: 'discarded', actions: assign({ discardReason: ({ event }) => event.reason }) },
      },
    },
    categorized: {
      on: {
        ENQUEUE: 'queued',
        DISCARD: { target: 'discarded', actions: assign({ discardReason: ({ event }) => event.reason }) },
      },
    },
    queued: {
      initial: 'routing',
      entry: [
        enqueueActions(({ context, enqueue }) => {
          if (context.agingEveryMs > 0) {
            enqueue.raise({ type: 'timer.aging', agingSeq: context.agingSeq }, { delay: 'aging', id: 'aging' });
          }
        }),
        assign({ agentId: null, offerId: null }),
        { type: 'requestRouting', params: ({ context }) => ({ interactionId: context.id }) },
      ],
      exit: cancel('aging'),
      on: {
        'timer.aging': {
          guard: 'currentAging',
          actions: [
            assign({ priority: ({ context }) => context.priority + context.agingAdd, agingSeq: ({ context }) => context.agingSeq + 1 }),
            raise(({ context }) => ({ type: 'timer.aging' as const, agingSeq: context.agingSeq }), { delay: 'aging', id: 'aging' }),
          ],
        },
        SET_PRIORITY: { actions: assign({ priority: ({ event }) => event.priority }) },
        // Re-entering the queue re-arms its timers and asks for routing to the new target.
        REASSIGN: {
          guard: 'validReassign',
          target: '#interaction.queued',
          reenter: true,
          actions: assign(({ context, event }) => ({
            workgroup: event.toWorkgroupId ?? context.workgroup,
            targetAgentId: event.toAgentId,
            targetSeq: context.targetSeq + 1,
            overflowAfterMs: event.overflowAfterMs,
            declinedBy: [],
          })),
        },
        OFFER: {
          guard: 'offerAllowed',
          target: 'assigned',
          actions: assign(({ event }) => ({
            offerId: event.offerId,
            agentId: event.agentId,
            offerTimeoutMs: event.timeoutMs,
            ronaPriorityIncrement: event.ronaPriorityIncrement,
          })),
        },
        DISCARD: { target: 'discarded', actions: assign({ discardReason: ({ event }) => event.reason }) },
      },
      states: {
        routing: {
          always: { guard: 'isTargeted', target: 'targeted' },
        },
        targeted: {
          entry: raise(({ context }) => ({ type: 'timer.overflow' as const, targetSeq: context.targetSeq }), {
            delay: 'overflow',
            id: 'overflow',
          }),
          exit: cancel('overflow'),
          on: {
            'timer.overflow': {
              guard: 'currentTarget',
              target: 'routing',
              actions: [
                assign({ targetAgentId: null, targetSeq: ({ context }) => context.targetSeq + 1 }),
                { type: 'requestRouting', params: ({ context }) => ({ interactionId: context.id }) },
              ],
            },
          },
        },
      },
    },
    assigned: {
      initial: 'offered',
      exit: [
        { type: 'releaseAgent', params: ({ context }) => ({ agentId: context.agentId ?? '', channel: context.channel }) },
      ],
      states: {
        offered: {
          entry: [
            raise(({ context }) => ({ type: 'timer.offerTimeout' as const, offerId: context.offerId ?? '' }), {
              delay: 'offerTimeout',
              id: 'offerTimeout',
            }),
            {
              type: 'notifyAgent',
              params: ({ context }) => ({
                agentId: context.agentId ?? '',
                notice: {
                  type: 'offer',
                  interactionId: context.id,
                  offerId: context.offerId ?? '',
                  timeoutMs: context.offerTimeoutMs,
                },
              }),
            },
          ],
          exit: cancel('offerTimeout'),
          on: {
            ACCEPT: {
              guard: 'byHolder',
              target: 'active',
              actions: assign({ lastAgentId: ({ event }) => event.agentId, targetAgentId: null }),
            },
            DECLINE: {
              guard: 'byHolder',
              target: '#interaction.queued',
              actions: assign({ declinedBy: ({ context, event }) => [...context.declinedBy, event.agentId] }),
            },
            'timer.offerTimeout': {
              guard: 'currentOffer',
              target: '#interaction.queued',
              actions: [
                {
                  type: 'notifyAgent',
                  params: ({ context }) => ({
                    agentId: context.agentId ?? '',
                    notice: { type: 'offer_revoked', interactionId: context.id, offerId: context.offerId ?? '', reason: 'timeout' },
                  }),
                },
                { type: 'setAgentNotReady', params: ({ context }) => ({ agentId: context.agentId ?? '', reason: NO_ANSWER }) },
                assign({
                  priority: ({ context }) => context.priority + context.ronaPriorityIncrement,
                  declinedBy: ({ context }) => [...context.declinedBy, context.agentId ?? ''],
                }),
              ],
            },
            REVOKE: {
              target: '#interaction.queued',
              actions: [
                {
                  type: 'notifyAgent',
                  params: ({ context, event }) => ({
                    agentId: context.agentId ?? '',
                    notice: { type: 'offer_revoked', interactionId: context.id, offerId: context.offerId ?? '', reason: event.reason },
                  }),
                },
                assign({ declinedBy: ({ context }) => [...context.declinedBy, context.agentId ?? ''] }),
              ],
            },
          },
        },
        active: {
          on: {
            REPLY: {
              guard: 'byHolder',
              actions: [
                assign({ replies: ({ context }) => context.replies + 1 }),
                { type: 'sendMessage', params: ({ event }) => ({ messageId: event.messageId }) },
              ],
            },
            // The reply waits (not sent) until a supervisor decides; see REVIEW_APPROVED and REVIEW_REJECTED.
            REVIEW_REQUESTED: {
              guard: 'byHolder',
              actions: assign({ pendingReviews: ({ context, event }) => [...(context.pendingReviews ?? []), event.messageId] }),
            },
            TRANSFER: {
              guard: 'validTransfer',
              target: '#interaction.queued',
              actions: assign(({ context, event }) => ({
                priority: event.priority,
                workgroup: event.toWorkgroupId ?? context.workgroup,
                targetAgentId: event.toAgentId,
                targetSeq: context.targetSeq + 1,
                overflowAfterMs: event.overflowAfterMs,
                declinedBy: [],
                transfers: context.transfers + 1,
              })),
            },
            REVOKE: {
              target: '#interaction.queued',
              actions: [
                {
                  type: 'notifyAgent',
                  params: ({ context }) => ({
                    agentId: context.agentId ?? '',
                    notice: { type: 'interaction_updated', interactionId: context.id, state: 'queued' },
                  }),
                },
                assign({ declinedBy: ({ context }) => [...context.declinedBy, context.agentId ?? ''] }),
              ],
            },
            DONE: {
              guard: and(['byHolder', 'noPendingReview']),
              target: 'wrapUp',
              actions: assign(({ context, event }) => ({
                wrapUpTimeoutMs: event.wrapUpTimeoutMs,
                defaultDisposition: event.defaultDisposition,
                wrapUpSeq: context.wrapUpSeq + 1,
              })),
            },
          },
        },
        wrapUp: {
          entry: raise(({ context }) => ({ type: 'timer.wrapUp' as const, wrapUpSeq: context.wrapUpSeq }), {
            delay: 'wrapUp',
            id: 'wrapUp',
          }),
          exit: cancel('wrapUp'),
          on: {
            WRAP_UP: {
              guard: 'byHolder',
              target: '#interaction.closed',
              actions: assign({ disposition: ({ event }) => event.disposition }),
            },
            'timer.wrapUp': {
              guard: 'currentWrapUp',
              target: '#interaction.closed',
              actions: assign({ disposition: ({ context }) => context.defaultDisposition }),
            },
          },
        },
      },
    },
    closed: { type: 'final' },
    discarded: { type: 'final' },
  },
});

export type InteractionMachine = typeof interactionMachine;

/** The stage an agent or a report speaks of: `offered` rather than `assigned.offered`, `queued` for any queued sub-state. */
export function stageOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [top, child] = Object.entries(value)[0] ?? [];
    if (top === 'assigned') return stageOf(child);
    if (typeof top === 'string') return top;
  }
  return 'unknown';
}

/** The full path of a state value, e.g. `queued.targeted`. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [top, child] = Object.entries(value)[0] ?? [];
    return child === undefined ? String(top) : `${top}.${statePath(child)}`;
  }
  return 'unknown';
}
