/**
 * The outbound worker and a channel that prepares its sends (ChannelSender.prepare): the message is
 * read and the send prepared in one transaction, the send made only once that has committed and its
 * outcome recorded; a refusal while preparing marks the message failed at the first attempt, sends
 * nothing and is not retried; a failure while preparing is retried, and marks it failed after the last
 * attempt; a channel without `prepare` is sent through `send`.
 */
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentSendError, type ChannelSender, type OutboundMessage } from '../../src/channels/channel-sender.ts';
import { sendJobId } from '../../src/queues/outbound-queue.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { recordingSender } from '../support/desk.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

type Step = { step: 'prepare' | 'send'; id: string; statusWhenPrepared?: string; inTransaction?: boolean };
/**
 * Refuses what is addressed to `refused@example.com` while preparing, fails (as a database error would)
 * for `unreachable@example.com`, and sends the rest, noting what it saw and when.
 */
const preparing: ChannelSender & { steps: Step[] } = {
  steps: [],
  async send(): Promise<never> {
    throw new Error('a channel that prepares is sent through what prepare returns');
  },
  async prepare(tx: TransactionSql, message: OutboundMessage) {
    if (message.toAddress === 'refused@example.com') throw new PermanentSendError('TEST_REFUSED', 'refused while preparing');
    if (message.toAddress === 'unreachable@example.com') throw new Error('the claim could not be made');
    // What the worker's transaction sees: the message still pending, in a transaction begun before this
    // statement (a statement sent alone begins its own, at its own start).
    const [row] = await tx<{ status: string; in_block: boolean }[]>`
      select status, now() < statement_timestamp() as in_block from messages where id = ${message.id}`;
    preparing.steps.push({ step: 'prepare', id: message.id, statusWhenPrepared: row?.status ?? 'missing', inTransaction: row?.in_block ?? false });
    return async () => {
      preparing.steps.push({ step: 'send', id: message.id });
      return { externalId: `prepared-${message.id}`, record: (record: TransactionSql) => record`select 1` };
    };
  },
};
const plain = recordingSender();

let sb: TestSwitchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(twoAgentConfig(), { relayPollMs: 50, senders: new Map<string, ChannelSender>([['email', preparing], ['sms', plain]]) });
});
afterAll(async () => {
  await sb?.stop();
});

/** A pending outbound message on a new interaction, and its send job (as a reply's transaction would queue it). */
async function pendingMessage(channel: 'email' | 'sms', to: string): Promise<string> {
  const customer = channel === 'email' ? { from: 'customer@example.com', to: 's@example.com' } : { from: '+14155550123', to: '+14155550100' };
  const { id } = await sb.engine.intake({ channel, ...customer, subject: 'refund', body: 'x' }, 'test');
  const messageId = randomUUID();
  await sb.database.sql`
    insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, status, created_at, updated_at)
    values (${messageId}, ${id}, 'out', ${channel}, ${customer.to}, ${to}, 'Re: refund', 'On its way.', 'pending', now(), now())`;
  await sb.outbound.add('send', { messageId, channel }, { jobId: sendJobId(messageId), attempts: 3, backoff: { type: 'fixed', delay: 10 } });
  return messageId;
}

const statusOf = async (id: string) => (await sb.database.sql<{ status: string; external_id: string | null; metadata: Record<string, unknown> }[]>`
  select status, external_id, metadata from messages where id = ${id}`)[0];

describe('a channel that prepares its sends', () => {
  it('prepares in the transaction that read the message, sends after it, and records the send', async () => {
    const messageId = await pendingMessage('email', 'customer@example.com');
    await expect.poll(async () => (await statusOf(messageId))?.status, { timeout: 8_000, interval: 50 }).toBe('sent');
    expect((await statusOf(messageId))?.external_id).toBe(`prepared-${messageId}`);
    expect(preparing.steps.filter((step) => step.id === messageId)).toEqual([
      { step: 'prepare', id: messageId, statusWhenPrepared: 'pending', inTransaction: true },
      { step: 'send', id: messageId },
    ]);
  });

  it('marks a message refused while preparing failed at its first attempt, and sends nothing', async () => {
    const messageId = await pendingMessage('email', 'refused@example.com');
    await expect.poll(async () => (await statusOf(messageId))?.status, { timeout: 8_000, interval: 50 }).toBe('failed');
    expect((await statusOf(messageId))?.metadata.error).toEqual({ code: 'TEST_REFUSED', message: 'refused while preparing' });
    await expect.poll(async () => (await sb.outbound.getJob(sendJobId(messageId)))?.getState(), { timeout: 3_000, interval: 50 }).toBe('failed');
    expect((await sb.outbound.getJob(sendJobId(messageId)))?.attemptsMade).toBe(1);
    expect(preparing.steps.filter((step) => step.id === messageId)).toEqual([]);
  });

  it('retries a failure while preparing, and marks the message failed after the last attempt', async () => {
    const messageId = await pendingMessage('email', 'unreachable@example.com');
    await expect.poll(async () => (await statusOf(messageId))?.status, { timeout: 8_000, interval: 50 }).toBe('failed');
    expect((await statusOf(messageId))?.metadata.error).toEqual({ code: 'SEND_RETRIES_EXHAUSTED', message: '3 attempts failed; the last: the claim could not be made' });
    expect((await sb.outbound.getJob(sendJobId(messageId)))?.attemptsMade).toBe(3);
  });
});

describe('a channel that does not prepare', () => {
  it('is sent through send, once', async () => {
    const messageId = await pendingMessage('sms', '+14155550123');
    await expect.poll(async () => (await statusOf(messageId))?.status, { timeout: 8_000, interval: 50 }).toBe('sent');
    expect((await statusOf(messageId))?.external_id).toBe(`sent-${messageId}`);
    expect(plain.sent.filter((sent) => sent.id === messageId)).toHaveLength(1);
  });
});
