/**
 * The outbox: a side effect committed with its transaction is dispatched after the commit, also when
 * the process that committed it died before dispatching (or after claiming it), and dispatching twice
 * does no harm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { connectRedis } from '../../src/queues/redis.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { redisUrl } from '../support/env.ts';
import { outboxSize, startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(twoAgentConfig(), { relayPollMs: 100, outboxLeaseMs: 1_000 });
});
afterAll(async () => {
  await sb?.stop();
});

describe('outbox relay', () => {
  it('dispatches what a process committed but never dispatched', async () => {
    await sb.relay.stop();
    // An engine with no relay listening: it commits and "dies" before dispatching anything.
    const orphan = new Engine({ database: sb.database, config: sb.engine.config });
    // Taken in while nobody is available (else it is offered in its intake), then Alice goes available.
    const { id } = await orphan.intake({ channel: 'email', from: 'a@example.com', to: 's@example.com', subject: 'refund', body: 'x' }, 'test');
    await orphan.setPresence('alice', { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'test');
    const pending = await sb.database.sql<{ kind: string }[]>`select kind from outbox order by id`;
    expect(pending.map((p) => p.kind)).toEqual(expect.arrayContaining(['route.agent', 'route.interaction', 'stream.notify', 'timer.arm']));
    expect((await sb.database.sql`select state from interactions where id = ${id}`)[0]?.state).toBe('queued');

    sb.relay.start();
    await expect.poll(async () => (await sb.database.sql`select state, agent_id from interactions where id = ${id}`)[0], { timeout: 5_000 }).toEqual({
      state: 'offered',
      agent_id: 'alice',
    });
    await expect.poll(() => outboxSize(sb), { timeout: 5_000 }).toBe(0);
  });

  it('takes over rows a dead process had claimed once their lease lapses', async () => {
    await sb.relay.stop();
    const orphan = new Engine({ database: sb.database, config: sb.engine.config });
    await orphan.setPresence('bob', { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'test');
    // Claimed as the relay claims, then the claimant vanished.
    await sb.database.sql`update outbox set available_at = now() + interval '1 second', attempts = attempts + 1`;
    sb.relay.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await outboxSize(sb)).toBeGreaterThan(0);
    await expect.poll(() => outboxSize(sb), { timeout: 5_000 }).toBe(0);
  });

  it('dispatches rows a process wrote claimed for its own relay and died before dispatching, once their lease lapses', async () => {
    // A process whose relay takes its commits' rows directly: it commits, then dies before taking them.
    const dying = new Engine({ database: sb.database, config: sb.engine.config });
    const handedOver: number[] = [];
    dying.useOutboxTaker({ leaseMs: 1_000, taking: true, take: (rows) => handedOver.push(...rows.map((r) => r.id)), wakeIn: () => {} });
    await dying.setPresence('alice', { type: 'GO_NOT_READY', reason: 'Lunch', at: new Date().toISOString() }, 'test');
    const written = await sb.database.sql<{ id: string; attempts: number; leased: boolean }[]>`
      select id::text, attempts, available_at > now() + interval '500 milliseconds' as leased from outbox order by id`;
    expect(written.map((r) => Number(r.id))).toEqual(handedOver);
    expect(written.every((r) => r.attempts === 1 && r.leased)).toBe(true);
    // The live relay leaves them alone while the lease holds, then dispatches them. (Counted by id: the
    // earlier tests' interactions may still be writing rows of their own, such as a ringing-out offer's.)
    const left = async () => (await sb.database.sql`select count(*)::int as n from outbox where id = any(${handedOver}::bigint[])`)[0]?.n;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await left()).toBe(handedOver.length);
    await expect.poll(left, { timeout: 5_000 }).toBe(0);
    await expect.poll(async () => (await sb.database.sql`select status from agents where id = 'alice'`)[0]?.status).toBe('not_ready');
  });

  it('dispatches a row its commit held back once it is due, not at the next poll', async () => {
    // A relay that polls once a minute: only its wake-up can dispatch the row within the test.
    const slow = await startTestSwitchboard(twoAgentConfig(), { relayPollMs: 60_000 });
    const subscriber = connectRedis(redisUrl());
    try {
      await slow.relay.drain();
      const notified: number[] = [];
      subscriber.on('message', (_channel: string, userId: string) => {
        if (userId === 'alice') notified.push(performance.now());
      });
      await subscriber.subscribe(`${slow.prefix}:stream`);
      const committed = performance.now();
      await slow.engine.transaction(async (_tx, outbox) => {
        outbox.push({ kind: 'stream.notify', payload: { userId: 'alice' }, delayMs: 300 });
      });
      expect((await slow.database.sql`select count(*)::int as n from outbox where attempts = 0`)[0]?.n).toBe(1);
      await expect.poll(() => notified.length, { timeout: 3_000, interval: 10 }).toBe(1);
      expect(notified[0]! - committed).toBeGreaterThanOrEqual(290);
      await expect.poll(() => outboxSize(slow), { timeout: 2_000 }).toBe(0);
    } finally {
      subscriber.disconnect();
      await slow.stop();
    }
  });

  it('arming the same timer twice schedules one job', async () => {
    const jobId = 'offerTimeout-test-1';
    const data = { target: { kind: 'interaction' as const, id: '00000000-0000-0000-0000-000000000000' }, event: { type: 'timer.offerTimeout', offerId: 'x' }, fireAt: Date.now() + 60_000 };
    await sb.timers.arm(jobId, data);
    await sb.timers.arm(jobId, data);
    const delayed = await sb.timers.queue.getDelayed();
    expect(delayed.filter((job) => job.id === jobId)).toHaveLength(1);
    await sb.timers.cancel(jobId);
    await sb.timers.cancel(jobId);
    expect((await sb.timers.queue.getDelayed()).filter((job) => job.id === jobId)).toHaveLength(0);
  });
});
