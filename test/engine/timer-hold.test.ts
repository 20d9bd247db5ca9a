/**
 * Timers due in a while are armed a little late: one cancelled while its arming is still held back in
 * the outbox never reaches Redis, one that is not cancelled is armed for its own moment, and one
 * cancelled after it was armed is removed from Redis as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coalesceOutbox, timerArmHold, type OutboxEntry } from '../../src/engine/outbox.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { outboxSize as outboxSizeOf, startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(twoAgentConfig({ routing: { offerTimeout: '5m', wrapUpTimeout: '5m', aging: { every: '1h', add: 1 } } }), { relayPollMs: 50 });
});
afterAll(async () => {
  await sb?.stop();
});

const at = () => new Date().toISOString();
/** The interaction's armed timers: timer id -> job id. */
const timersOf = async (id: string): Promise<Record<string, string>> => {
  const [row] = await sb.database.sql<{ timers: Record<string, { jobId: string }> }[]>`select timers from interactions where id = ${id}`;
  return Object.fromEntries(Object.entries(row?.timers ?? {}).map(([timer, armed]) => [timer, armed.jobId]));
};
const heldArmings = async () =>
  (await sb.database.sql<{ job_id: string }[]>`select payload ->> 'jobId' as job_id from outbox where kind = 'timer.arm' and attempts = 0`).map((r) => r.job_id);
const outboxSize = () => outboxSizeOf(sb);

describe('timers armed late', () => {
  it('never sends Redis a timer cancelled while its arming is held back', async () => {
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: at() }, 'test');
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c1@example.com', to: 's@example.com', subject: 'refund', body: 'x' }, 'test');
    await expect.poll(async () => (await sb.database.sql`select state from interactions where id = ${id}`)[0]?.state, { timeout: 3_000, interval: 20 }).toBe('offered');
    // Queued for a moment (its aging timer armed and cancelled), now offered: only the offer's timeout waits, held back.
    const { offerTimeout } = await timersOf(id);
    expect(offerTimeout).toBeDefined();
    expect(await heldArmings()).toEqual([offerTimeout]);
    await sb.actions.accept(id, 'alice');
    // The accept's cancel took the held arming out, and was not written itself.
    expect(await heldArmings()).toEqual([]);
    expect((await sb.database.sql`select 1 from outbox where kind = 'timer.cancel'`).length).toBe(0);
    await expect.poll(outboxSize, { timeout: 3_000, interval: 20 }).toBe(0);
    expect(await sb.timers.queue.getJobCounts('delayed', 'wait', 'active')).toEqual({ delayed: 0, wait: 0, active: 0 });
    await sb.actions.done(id, 'alice');
    await sb.actions.wrapUp(id, 'alice', 'resolved');
  });

  it('arms a timer that stays, for its own moment, and removes it from Redis when cancelled later', async () => {
    await sb.engine.setPresence('alice', { type: 'GO_NOT_READY', reason: 'Lunch', at: at() }, 'test');
    await sb.engine.setPresence('bob', { type: 'GO_NOT_READY', reason: 'Lunch', at: at() }, 'test');
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c2@example.com', to: 's@example.com', subject: 'refund', body: 'x' }, 'test');
    const aging = (await timersOf(id)).aging ?? '';
    expect(aging).not.toBe('');
    const [held] = await sb.database.sql<{ fire_at: string }[]>`select payload ->> 'fireAt' as fire_at from outbox where payload ->> 'jobId' = ${aging}`;
    expect(await sb.timers.queue.getJob(aging)).toBeUndefined();
    // Armed after the hold, due when the machine said (an hour after intake), not an hour after arming.
    await expect.poll(async () => (await sb.timers.queue.getJob(aging))?.id, { timeout: 5_000, interval: 50 }).toBe(aging);
    const job = await sb.timers.queue.getJob(aging);
    expect(Math.abs((job?.timestamp ?? 0) + (job?.delay ?? 0) - Number(held?.fire_at))).toBeLessThan(100);
    expect(await job?.getState()).toBe('delayed');
    // An agent comes: the interaction leaves the queue and its aging timer leaves Redis.
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: at() }, 'test');
    await expect.poll(async () => (await sb.database.sql`select state from interactions where id = ${id}`)[0]?.state, { timeout: 3_000, interval: 20 }).toBe('offered');
    await expect.poll(async () => (await sb.timers.queue.getJob(aging))?.id, { timeout: 3_000, interval: 50 }).toBeUndefined();
  });
});

describe('outbox entries of one commit', () => {
  it('neither arm nor cancel a timer armed and cancelled within them, and hold back only timers due in a while', () => {
    const target = { kind: 'interaction' as const, id: 'i-1' };
    const entries: OutboxEntry[] = [
      { kind: 'timer.arm', payload: { jobId: 'aging-1', fireAt: 1, target, event: {} }, delayMs: 2_000 },
      { kind: 'route.interaction', payload: { interactionId: 'i-1' } },
      { kind: 'timer.cancel', payload: { jobId: 'aging-1' } },
      { kind: 'timer.cancel', payload: { jobId: 'offer-0' } },
      { kind: 'timer.arm', payload: { jobId: 'offer-2', fireAt: 2, target, event: {} } },
    ];
    expect(coalesceOutbox(entries).map((e) => `${e.kind} ${'jobId' in e.payload ? e.payload.jobId : ''}`)).toEqual([
      'route.interaction ',
      'timer.cancel offer-0',
      'timer.arm offer-2',
    ]);
    expect([timerArmHold(0), timerArmHold(5_000), timerArmHold(11_999), timerArmHold(12_000), timerArmHold(3_600_000)]).toEqual([0, 0, 0, 2_000, 2_000]);
  });
});
