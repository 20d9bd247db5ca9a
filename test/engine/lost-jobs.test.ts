/**
 * Jobs that Redis lost (a restart without persistence, a failover): an offer whose timeout job vanished
 * still rings out, once, because Postgres knows the timer is armed and a worker arms it again; a timer
 * whose job is only waiting is left alone; a pending reply whose send job vanished still leaves, once.
 * And a send whose attempts all fail is marked failed, so that no message stays pending for good.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelSender } from '../../src/channels/channel-sender.ts';
import { LostJobs } from '../../src/engine/lost-jobs.ts';
import { sendJobId } from '../../src/queues/outbound-queue.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { recordingSender } from '../support/desk.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
const sender = recordingSender();
/** A provider that is down: every attempt fails with an error that may pass. */
const unavailable = {
  attempts: 0,
  async send(): Promise<never> {
    unavailable.attempts += 1;
    throw new Error('provider unavailable');
  },
};

beforeAll(async () => {
  // Offers ring out after 1.5 s; timers overdue, and sends pending, by 300 ms are looked at every 200 ms.
  sb = await startTestSwitchboard(twoAgentConfig(), { relayPollMs: 50, senders: new Map<string, ChannelSender>([['email', sender], ['sms', unavailable]]), lostJobs: { everyMs: 200, graceMs: 300 } });
});
afterAll(async () => {
  await sb?.stop();
});

const at = () => new Date().toISOString();
const stateOf = async (id: string) => (await sb.database.sql<{ state: string }[]>`select state from interactions where id = ${id}`)[0]?.state;

describe('a timer Redis lost', () => {
  it('is armed again from what Postgres knows, and fires once', async () => {
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: at() }, 'test');
    await sb.engine.setPresence('bob', { type: 'GO_NOT_READY', reason: 'Lunch', at: at() }, 'test');
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c1@example.com', to: 's@example.com', subject: 'refund', body: 'x' }, 'test');
    await expect.poll(() => stateOf(id), { timeout: 3_000, interval: 20 }).toBe('offered');
    const [row] = await sb.database.sql<{ timers: Record<string, { jobId: string; fireAt: number }>; next_timer_at: Date }[]>`
      select timers, next_timer_at from interactions where id = ${id}`;
    const offerTimeout = row?.timers.offerTimeout;
    expect(offerTimeout).toBeDefined();
    expect(row?.next_timer_at.getTime()).toBe(offerTimeout?.fireAt);
    const jobId = offerTimeout?.jobId ?? '';
    await expect.poll(async () => (await sb.timers.queue.getJob(jobId))?.id, { timeout: 3_000, interval: 20 }).toBe(jobId);

    // Redis loses the job.
    await sb.timers.queue.remove(jobId);
    expect(await sb.timers.queue.getJob(jobId)).toBeUndefined();

    // The offer still rings out: back in the queue, Alice not ready ("No answer").
    await expect.poll(() => stateOf(id), { timeout: 8_000, interval: 50 }).toBe('queued');
    const [alice] = await sb.database.sql<{ status: string; reason: string }[]>`select status, reason from agents where id = 'alice'`;
    expect(alice).toEqual({ status: 'not_ready', reason: 'No answer' });
    // Once: the reconciler's later looks find nothing to do.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const timeouts = await sb.database.sql`select seq from interaction_events where interaction_id = ${id} and type = 'timer.offerTimeout'`;
    expect(timeouts).toHaveLength(1);
  });

  it('leaves a timer alone while its job still waits in Redis', async () => {
    await sb.engine.setPresence('bob', { type: 'GO_NOT_READY', reason: 'Lunch', at: at() }, 'test');
    await sb.engine.setPresence('alice', { type: 'GO_NOT_READY', reason: 'Lunch', at: at() }, 'test');
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c2@example.com', to: 's@example.com', subject: 'refund', body: 'x' }, 'test');
    const [row] = await sb.database.sql<{ timers: Record<string, { jobId: string }> }[]>`select timers from interactions where id = ${id}`;
    const aging = row?.timers.aging?.jobId ?? '';
    await expect.poll(async () => (await sb.timers.queue.getJob(aging))?.id, { timeout: 5_000, interval: 50 }).toBe(aging);
    // Make it look overdue to Postgres while its job still waits (a worker behind): nothing is armed twice.
    await sb.database.sql`update interactions set next_timer_at = now() - interval '1 hour',
      timers = jsonb_set(timers, '{aging,fireAt}', to_jsonb((extract(epoch from now()) * 1000 - 3600000)::bigint)) where id = ${id}`;
    const lostJobs = new LostJobs({ sql: sb.database.sql, timers: sb.timers, outbound: sb.outbound, logger: pino({ level: 'silent' }), graceMs: 0 });
    expect((await lostJobs.reconcile()).timers).toBe(0);
    expect(await (await sb.timers.queue.getJob(aging))?.getState()).toBe('delayed');
  });

  it('queues a pending reply whose send job is gone, and it leaves once', async () => {
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c3@example.com', to: 's@example.com', subject: 'refund', body: 'x' }, 'test');
    // A reply stored pending whose job Redis no longer has (written here as the reply's transaction would).
    const messageId = randomUUID();
    await sb.database.sql`
      insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, status, created_at, updated_at)
      values (${messageId}, ${id}, 'out', 'email', 's@example.com', 'c3@example.com', 'Re: refund', 'On its way.', 'pending', now() - interval '1 minute', now() - interval '1 minute')`;
    expect(await sb.outbound.getJob(sendJobId(messageId))).toBeUndefined();

    await expect
      .poll(async () => (await sb.database.sql<{ status: string }[]>`select status from messages where id = ${messageId}`)[0]?.status, { timeout: 8_000, interval: 50 })
      .toBe('sent');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(sender.sent.filter((sent) => sent.id === messageId)).toHaveLength(1);
  });

  it('marks a reply failed when its last attempt fails, instead of leaving it pending', async () => {
    const { id } = await sb.engine.intake({ channel: 'sms', from: '+14155550123', to: '+14155550100', body: 'hello' }, 'test');
    const messageId = randomUUID();
    await sb.database.sql`
      insert into messages (id, interaction_id, direction, channel, from_address, to_address, body, status, created_at, updated_at)
      values (${messageId}, ${id}, 'out', 'sms', '+14155550100', '+14155550123', 'On its way.', 'pending', now(), now())`;
    // Two attempts, 10 ms apart (a send queued by Switchboard has eight, with the send backoff).
    await sb.outbound.add('send', { messageId, channel: 'sms' }, { jobId: sendJobId(messageId), attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    await expect
      .poll(async () => (await sb.database.sql<{ status: string }[]>`select status from messages where id = ${messageId}`)[0]?.status, { timeout: 8_000, interval: 50 })
      .toBe('failed');
    const [row] = await sb.database.sql<{ metadata: { error: { code: string; message: string } } }[]>`select metadata from messages where id = ${messageId}`;
    expect(row?.metadata.error).toEqual({ code: 'SEND_RETRIES_EXHAUSTED', message: '2 attempts failed; the last: provider unavailable' });
    expect(unavailable.attempts).toBe(2);
  });
});
