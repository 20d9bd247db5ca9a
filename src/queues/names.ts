/** BullMQ queue names. Every queue of one deployment shares a key prefix (SWITCHBOARD_QUEUE_PREFIX). */
export const QUEUES = {
  timers: 'timers',
  outbound: 'outbound',
} as const;

export interface TimerJobData {
  target: { kind: 'interaction'; id: string };
  event: Record<string, unknown>;
  fireAt: number;
}

export interface OutboundJobData {
  messageId: string;
  channel: string;
}
