/** Outbound sends as BullMQ jobs: one job per message (its id names it), retried with the send backoff. */
import type { Queue } from 'bullmq';
import { SEND_BACKOFF } from '../channels/send-backoff.ts';
import type { OutboundJobData } from './names.ts';

export function sendJobId(messageId: string): string {
  return `send-${messageId}`;
}

/** Queues the message's send; queuing it again while its job is kept changes nothing. */
export async function enqueueSend(outbound: Queue<OutboundJobData>, data: OutboundJobData): Promise<void> {
  await outbound.add('send', data, {
    jobId: sendJobId(data.messageId),
    attempts: 8,
    backoff: { type: SEND_BACKOFF, delay: 1_000 },
    removeOnComplete: { count: 10_000 },
    removeOnFail: { count: 10_000 },
  });
}
