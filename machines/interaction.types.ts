/** Types shared by the interaction machine and the runtime that executes it. */
export type Channel = 'email' | 'sms';

export interface InteractionInput {
  id: string;
  channel: Channel;
  reference: number;
}

export interface InteractionContext {
  id: string;
  channel: Channel;
  reference: number;
  acknowledged: boolean;
  category: string | null;
  workgroup: string | null;
  skills: string[];
  priority: number;
  lastAgentRouting: boolean;
  /** How long a targeted interaction waits for its agent before it falls back to the workgroup. */
  overflowAfterMs: number;
  /** Agent this interaction waits for (transfers, replies to the last agent); null when any agent of the workgroup may take it. */
  targetAgentId: string | null;
  targetSeq: number;
  agingEveryMs: number;
  agingAdd: number;
  agingSeq: number;
  offerId: string | null;
  offerTimeoutMs: number;
  ronaPriorityIncrement: number;
  /** Agent holding the offer or the interaction. */
  agentId: string | null;
  /** Agent who last accepted this interaction. */
  lastAgentId: string | null;
  declinedBy: string[];
  wrapUpTimeoutMs: number;
  wrapUpSeq: number;
  defaultDisposition: string | null;
  disposition: string | null;
  discardReason: string | null;
  transfers: number;
  replies: number;
  /** Agents' replies waiting for a supervisor's review (message ids); the interaction cannot be done while any wait. */
  pendingReviews: string[];
}

export interface Categorization {
  category: string;
  workgroup: string;
  skills: string[];
  priority: number;
  lastAgentRouting: boolean;
  overflowAfterMs: number;
  targetAgentId: string | null;
  agingEveryMs: number;
  agingAdd: number;
}

export type InteractionEvent =
  | { type: 'ACKNOWLEDGE'; sent: boolean }
  | ({ type: 'CATEGORIZE' } & Categorization)
  | { type: 'ENQUEUE' }
  | { type: 'DISCARD'; reason: string }
  | { type: 'OFFER'; offerId: string; agentId: string; timeoutMs: number; ronaPriorityIncrement: number }
  | { type: 'ACCEPT'; agentId: string }
  | { type: 'DECLINE'; agentId: string }
  | { type: 'REVOKE'; reason: string }
  | { type: 'REPLY'; agentId: string; messageId: string; responseId?: string | null }
  | { type: 'REVIEW_REQUESTED'; agentId: string; messageId: string; responseId?: string | null }
  | { type: 'REVIEW_APPROVED'; supervisorId: string; messageId: string; authorId: string; edited: boolean }
  | { type: 'REVIEW_REJECTED'; supervisorId: string; messageId: string; authorId: string; comment: string }
  | { type: 'CUSTOMER_MESSAGE'; messageId: string }
  | {
      type: 'TRANSFER';
      agentId: string;
      toAgentId: string | null;
      toWorkgroupId: string | null;
      priority: number;
      overflowAfterMs: number;
    }
  | { type: 'SET_PRIORITY'; priority: number }
  | {
      type: 'REASSIGN';
      supervisorId: string;
      toAgentId: string | null;
      toWorkgroupId: string | null;
      overflowAfterMs: number;
    }
  | { type: 'DONE'; agentId: string; wrapUpTimeoutMs: number; defaultDisposition: string }
  | { type: 'WRAP_UP'; agentId: string; disposition: string }
  | { type: 'timer.offerTimeout'; offerId: string }
  | { type: 'timer.overflow'; targetSeq: number }
  | { type: 'timer.aging'; agingSeq: number }
  | { type: 'timer.wrapUp'; wrapUpSeq: number };

export type InteractionEventType = InteractionEvent['type'];

/** What the machine asks the runtime to do (besides arming and cancelling timers). */
export type AgentNotice =
  | { type: 'offer'; interactionId: string; offerId: string; timeoutMs: number }
  | { type: 'offer_revoked'; interactionId: string; offerId: string; reason: string }
  | { type: 'customer_message'; interactionId: string; messageId: string }
  | { type: 'interaction_updated'; interactionId: string; state: string }
  | { type: 'review_approved'; interactionId: string; messageId: string; edited: boolean }
  | { type: 'review_rejected'; interactionId: string; messageId: string; comment: string };
