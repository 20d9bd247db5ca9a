/** The desk tests' configuration and helpers: a response library, a trainee whose replies are reviewed, a billing supervisor, an SMS alert. */
import type { ConfigInput } from '../../src/config/schema.ts';
import type { ChannelSender, OutboundMessage } from '../../src/channels/channel-sender.ts';
import { TOKENS as BASE_TOKENS, twoAgentConfig } from './configs.ts';

export const TOKENS = {
  ...BASE_TOKENS,
  trainee: 'trainee-token-0123456789abcd',
  billingSupervisor: 'billing-supervisor-token-0123',
  carmen: 'carmen-token-0123456789abcdef',
} as const;

export function deskConfig(overrides: Partial<ConfigInput> = {}): ConfigInput {
  const base = twoAgentConfig();
  return {
    ...base,
    users: [
      ...(base.users ?? []),
      { id: 'trainee', name: 'Tess Trainee', role: 'agent', token: TOKENS.trainee, workgroups: ['support'], skills: { billing: 1, english: 5 }, capacity: { email: 3, sms: 2 } },
      { id: 'sup-billing', name: 'Bea Billing', role: 'supervisor', token: TOKENS.billingSupervisor, workgroups: ['billing'] },
      { id: 'carmen', name: 'Carmen', role: 'agent', token: TOKENS.carmen, workgroups: ['billing'], capacity: { email: 3, sms: 2 } },
    ],
    workgroups: [
      { id: 'support', name: 'Support' },
      { id: 'billing', name: 'Billing', dispositions: ['refunded', 'resolved'] },
    ],
    categories: [
      { id: 'billing', rules: ['invoice', 'refund', 'charged'], workgroup: 'support', skills: ['billing'], priority: 10, overflowAfter: '2s' },
      { id: 'orders', rules: ['\\border', '\\bparcel', '\\bdelivery'], workgroup: 'support', priority: 5 },
      { id: 'returns', rules: ['\\breturn'], workgroup: 'billing', priority: 5 },
      { id: 'general', rules: [], workgroup: 'support', skills: [], priority: 1, default: true },
    ],
    dispositions: [{ code: 'resolved', default: true }, { code: 'follow_up' }, { code: 'refunded', name: 'Refund issued' }],
    statusMessages: ['Available', 'Away', 'Meeting'],
    responses: [
      {
        id: 'order-status',
        title: 'Where is my order',
        body: 'Dear {{customer.name|customer}},\n\nyour order is on its way; reference {{reference}}.\n\nKind regards,\n{{agent.name}}',
        keywords: ['order', 'delivery', 'tracking', 'parcel', 'shipping'],
        channel: 'both',
      },
      { id: 'order-cancel', title: 'Cancelling an order', body: 'We have cancelled your order.', keywords: ['order', 'cancel', 'cancellation'], channel: 'email' },
      { id: 'refund', title: 'Refund on its way', body: 'Your refund is on its way.', keywords: ['refund', 'invoice', 'charged', 'payment'], channel: 'both' },
      { id: 'password', title: 'Resetting a password', body: 'Use the link to reset your password.', keywords: ['password', 'login', 'account'], channel: 'both' },
      { id: 'billing-only', title: 'Billing team note', body: 'From billing about your order.', keywords: ['order', 'billing'], channel: 'both', workgroups: ['billing'] },
      { id: 'sms-hello', title: 'Hello by SMS', body: 'Hi {{customer.name|there}}, ref {{reference}}', keywords: ['hello', 'order'], channel: 'sms' },
    ],
    review: { agents: ['trainee'] },
    alerts: [{ id: 'sms-waiting', name: 'SMS waiting', watch: 'waiting', after: '1s', channel: 'sms' }],
    ...overrides,
  };
}

/** A channel sender that records what it sent, and when; enough to see what left and that it left once. */
export function recordingSender(): ChannelSender & { sent: (OutboundMessage & { at: number })[] } {
  const sent: (OutboundMessage & { at: number })[] = [];
  return {
    sent,
    async send(message) {
      sent.push({ ...message, at: Date.now() });
      return { externalId: `sent-${message.id}` };
    },
  };
}
