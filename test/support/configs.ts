/** Configurations the tests share. */
import type { ConfigInput } from '../../src/config/schema.ts';

export const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  supervisor: 'supervisor-token-0123456789ab',
  alice: 'alice-token-0123456789abcdef',
  bob: 'bob-token-0123456789abcdefgh',
} as const;

/** Two agents in one workgroup; Alice is the better at billing. */
export function twoAgentConfig(overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    users: [
      { id: 'admin', name: 'Admin', role: 'admin', token: TOKENS.admin },
      { id: 'sup', name: 'Sam Supervisor', role: 'supervisor', token: TOKENS.supervisor },
      { id: 'alice', name: 'Alice', role: 'agent', token: TOKENS.alice, workgroups: ['support'], skills: { billing: 9, english: 8 }, capacity: { email: 3, sms: 2 } },
      { id: 'bob', name: 'Bob', role: 'agent', token: TOKENS.bob, workgroups: ['support'], skills: { billing: 4, english: 9 }, capacity: { email: 3, sms: 2 } },
    ],
    workgroups: [{ id: 'support', name: 'Support' }],
    categories: [
      { id: 'billing', rules: ['invoice', 'refund', 'charged'], workgroup: 'support', skills: ['billing'], priority: 10, lastAgentRouting: true, overflowAfter: '2s' },
      { id: 'general', rules: [], workgroup: 'support', skills: [], priority: 1, default: true },
    ],
    routing: { offerTimeout: '1500ms', ronaPriorityIncrement: 5, transferPriority: 40, wrapUpTimeout: '2s', aging: { every: '1h', add: 1 } },
    dispositions: [{ code: 'resolved', default: true }, { code: 'follow_up' }],
    ...overrides,
  };
}
