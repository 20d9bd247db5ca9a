/**
 * Routing under contention: a new interaction's lookup passes over an agent whose row another
 * transaction (another process, say) holds locked, rather than waiting for it, and when the only
 * agents that fit are held, it looks again shortly instead of leaving the interaction queued.
 */
import type { ReservedSql } from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { twoAgentConfig } from '../support/configs.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
let blocker: ReservedSql | null = null;

beforeEach(async () => {
  sb = await startTestSwitchboard(twoAgentConfig({ routing: { offerTimeout: '5m', wrapUpTimeout: '5m', aging: { every: '1h', add: 1 } } }), { relayPollMs: 50 });
});
afterEach(async () => {
  await releaseAgent();
  await sb?.stop();
});

/** Locks an agent's row in a transaction of its own, as a router in another process reserving it would. */
async function holdAgent(agentId: string): Promise<void> {
  blocker = await sb.database.sql.reserve();
  await blocker`begin`;
  await blocker`select id from agents where id = ${agentId} for update`;
}

async function releaseAgent(): Promise<void> {
  if (!blocker) return;
  await blocker`rollback`;
  blocker.release();
  blocker = null;
}

const available = () => new Date().toISOString();
const outboxEmpty = () =>
  expect.poll(async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from outbox`)[0]?.n, { timeout: 3_000, interval: 20 }).toBe(0);
const stateOf = async (id: string) => (await sb.database.sql<{ state: string; agent_id: string | null }[]>`select state, agent_id from interactions where id = ${id}`)[0];

describe('routing while agents are locked elsewhere', () => {
  it('offers a new interaction to the next best agent at once when the best one is locked', async () => {
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: available() }, 'test');
    await sb.engine.setPresence('bob', { type: 'GO_AVAILABLE', at: available() }, 'test');
    await holdAgent('alice');
    const started = performance.now();
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c1@example.com', to: 's@example.com', subject: 'invoice', body: 'x' }, 'test');
    await expect.poll(() => stateOf(id), { timeout: 2_000, interval: 20 }).toEqual({ state: 'offered', agent_id: 'bob' });
    // It did not wait for Alice's row (a wait would last until the test released it).
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('looks again when every agent that fits is locked, and offers once the lock is gone', async () => {
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: available() }, 'test');
    // Her going available has asked for work and found none before her row is held.
    await outboxEmpty();
    await holdAgent('alice');
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c2@example.com', to: 's@example.com', subject: 'refund', body: 'x' }, 'test');
    // Queued while Alice's row is held, with a routing retry waiting in the outbox...
    await expect
      .poll(async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from outbox where kind = 'route.interaction' and available_at > now()`)[0]?.n, {
        timeout: 2_000,
        interval: 20,
      })
      .toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stateOf(id)).toEqual({ state: 'queued', agent_id: null });
    // ...and offered to her once it is released, with no event on her side to prompt it.
    await releaseAgent();
    await expect.poll(() => stateOf(id), { timeout: 3_000, interval: 20 }).toEqual({ state: 'offered', agent_id: 'alice' });
    const [load] = await sb.database.sql<{ load_email: number }[]>`select load_email from agents where id = 'alice'`;
    expect(load?.load_email).toBe(1);
  });

  it('does not look again when no agent fits', async () => {
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c3@example.com', to: 's@example.com', subject: 'refund', body: 'x' }, 'test');
    await outboxEmpty();
    expect((await stateOf(id))?.state).toBe('queued');
  });
});
