/**
 * An agent's presence: logged out, available, or not ready with a reason code. Capacity per media
 * type lives in the context; the time each state began arrives with the event (`at`), so the machine
 * stays pure and the stored log answers "how long was this agent in each status".
 */
import { assign, setup } from 'xstate';

export interface Capacity {
  email: number;
  sms: number;
}

export interface PresenceInput {
  agentId: string;
  capacity: Capacity;
  at: string;
}

export interface PresenceContext {
  agentId: string;
  capacity: Capacity;
  reason: string | null;
  since: string;
}

export type PresenceEvent =
  | { type: 'GO_AVAILABLE'; at: string }
  | { type: 'GO_NOT_READY'; reason: string; at: string }
  | { type: 'LOG_OUT'; at: string }
  | { type: 'SET_CAPACITY'; capacity: Capacity };

export type PresenceStatus = 'logged_out' | 'available' | 'not_ready';

const enter = assign<PresenceContext, PresenceEvent, undefined, PresenceEvent, never>(({ event }) => ({
  reason: null,
  since: 'at' in event ? event.at : '',
}));

export const agentPresenceMachine = setup({
  types: {
    context: {} as PresenceContext,
    events: {} as PresenceEvent,
    input: {} as PresenceInput,
  },
  actions: {
    // Executed by the runtime: publish the agent's status on its stream; look for work for it.
    notifyStatus: (_, _params: { agentId: string }) => {},
    requestRouting: (_, _params: { agentId: string }) => {},
  },
}).createMachine({
  id: 'presence',
  context: ({ input }) => ({ agentId: input.agentId, capacity: input.capacity, reason: null, since: input.at }),
  initial: 'logged_out',
  on: {
    SET_CAPACITY: {
      actions: [
        assign({ capacity: ({ event }) => event.capacity }),
        { type: 'requestRouting', params: ({ context }) => ({ agentId: context.agentId }) },
      ],
    },
  },
  states: {
    logged_out: {
      entry: { type: 'notifyStatus', params: ({ context }) => ({ agentId: context.agentId }) },
      on: {
        GO_AVAILABLE: { target: 'available', actions: enter },
        GO_NOT_READY: { target: 'not_ready', actions: assign(({ event }) => ({ reason: event.reason, since: event.at })) },
      },
    },
    available: {
      entry: [
        { type: 'notifyStatus', params: ({ context }) => ({ agentId: context.agentId }) },
        { type: 'requestRouting', params: ({ context }) => ({ agentId: context.agentId }) },
      ],
      on: {
        GO_NOT_READY: { target: 'not_ready', actions: assign(({ event }) => ({ reason: event.reason, since: event.at })) },
        LOG_OUT: { target: 'logged_out', actions: enter },
      },
    },
    not_ready: {
      entry: { type: 'notifyStatus', params: ({ context }) => ({ agentId: context.agentId }) },
      on: {
        GO_AVAILABLE: { target: 'available', actions: enter },
        // A new reason starts a new status period.
        GO_NOT_READY: {
          target: 'not_ready',
          reenter: true,
          actions: assign(({ event }) => ({ reason: event.reason, since: event.at })),
        },
        LOG_OUT: { target: 'logged_out', actions: enter },
      },
    },
  },
});

export type AgentPresenceMachine = typeof agentPresenceMachine;
