/**
 * Routing under contention: a new interaction's lookup passes over an agent whose row another
 * transaction (another process, say) holds locked, rather than waiting for it, and when the only
 * agents that fit are held, it looks again shortly instead of leaving the interaction queued. An
 * agent's lookup passes over held interactions the same way, and makes no second look it does not need.
 */
import type { ReservedSql } from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { routeAgent, routeInteraction } from '../../src/engine/router.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { outboxSize, startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
let blocker: ReservedSql | null = null;

beforeEach(async () => {
  sb = await startTestSwitchboard(twoAgentConfig({ routing: { offerTimeout: '5m', wrapUpTimeout: '5m', aging: { every: '1h', add: 1 } } }), { relayPollMs: 50 });
});
afterEach(async () => {
  await releaseHold();
  await sb?.stop();
});

/**
 * Locks a row in a transaction of its own, as another process would: a router reserving an agent, or a
 * transaction changing an interaction.
 */
async function holdRow(table: 'agents' | 'interactions', id: string): Promise<void> {
  blocker = await sb.database.sql.reserve();
  await blocker`begin`;
  await blocker`select id from ${blocker(table)} where id = ${id} for update`;
}
const holdAgent = (agentId: string) => holdRow('agents', agentId);

async function releaseHold(): Promise<void> {
  if (!blocker) return;
  await blocker`rollback`;
  blocker.release();
  blocker = null;
}

const available = () => new Date().toISOString();
const outboxEmpty = () =>
  expect.poll(() => outboxSize(sb), { timeout: 3_000, interval: 20 }).toBe(0);
const waiting = async () =>
  sb.database.sql<{ kind: string; payload: Record<string, string> }[]>`select kind, payload from outbox where kind in ('route.agent', 'route.interaction') order by id`;
const intakeFor = async (n: number) =>
  (await sb.engine.intake({ channel: 'email', from: `c${n}@example.com`, to: 's@example.com', subject: 'invoice', body: 'x' }, 'test')).id;
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
    await releaseHold();
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

describe("an agent's lookup", () => {
  /** Alice available, with the relay stopped: nothing is routed but what a test routes itself, and outbox rows stay to be read. */
  async function aliceAloneWithoutRelay(): Promise<void> {
    await sb.relay.stop();
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: available() }, 'test');
    await sb.database.sql`delete from outbox`;
  }
  const lookForAlice = () => sb.engine.transaction((tx, outbox, now) => routeAgent(tx, sb.engine.config, 'alice', now, outbox), ['agent:alice']);
  /** A new interaction left queued: taken in while Alice is not ready (else it is offered to her in its intake). */
  async function queuedFor(n: number): Promise<string> {
    await sb.engine.setPresence('alice', { type: 'GO_NOT_READY', reason: 'Pause', at: available() }, 'test');
    const id = await intakeFor(n);
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: available() }, 'test');
    await sb.database.sql`delete from outbox`;
    return id;
  }

  it('goes on after an offer only when it saw more work that fits', async () => {
    await aliceAloneWithoutRelay();
    const first = await queuedFor(1);
    const second = await queuedFor(2);
    expect(await lookForAlice()).toMatchObject({ offer: { interactionId: first, agentId: 'alice' }, more: true });
    expect(await lookForAlice()).toMatchObject({ offer: { interactionId: second, agentId: 'alice' }, more: false });
    expect(await lookForAlice()).toEqual({ offer: null, more: false });
    // Routing an agent takes as many transactions as offers when nothing more is in reach: no empty look at the end.
    const third = await queuedFor(3);
    const groups = sb.engine.commitStats.groups;
    expect((await sb.engine.routeAgent('alice')).map((offer) => offer.interactionId)).toEqual([third]);
    expect(sb.engine.commitStats.groups - groups).toBe(1);
  });

  it('leaves an interaction another transaction holds to look for an agent again itself', async () => {
    await aliceAloneWithoutRelay();
    const id = await queuedFor(4);
    await holdRow('interactions', id);
    expect(await lookForAlice()).toEqual({ offer: null, more: false });
    // The interaction's own routing is asked for again, later; Alice has nothing to look again for.
    expect(await waiting()).toEqual([{ kind: 'route.interaction', payload: { interactionId: id } }]);
    const [retry] = await sb.database.sql<{ later: boolean }[]>`select available_at > now() as later from outbox`;
    expect(retry?.later).toBe(true);
    await releaseHold();
    sb.relay.start();
    await expect.poll(() => stateOf(id), { timeout: 3_000, interval: 20 }).toEqual({ state: 'offered', agent_id: 'alice' });
  });

  /** Routes `id` and looks for work for Alice in one commit (another engine, committing one group at a time). */
  async function inOneCommit(id: string) {
    const engine = new Engine({ database: sb.database, config: sb.engine.config, commitConcurrency: 1 });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // What queues up behind this first transaction goes as one group.
    const first = engine.transaction(() => gate);
    const routed = engine.transaction((tx, outbox, now) => routeInteraction(tx, engine.config, id, now, outbox), [`interaction:${id}`]);
    const looked = engine.transaction((tx, outbox, now) => routeAgent(tx, engine.config, 'alice', now, outbox), ['agent:alice']);
    open();
    await first;
    const outcome = { routed: await routed, looked: await looked };
    expect(engine.commitStats).toMatchObject({ groups: 2, members: 3, fallbacks: 0 });
    return outcome;
  }

  it('needs no second look for an interaction that a member of the same commit routes', async () => {
    await aliceAloneWithoutRelay();
    const id = await queuedFor(5);
    const { routed, looked } = await inOneCommit(id);
    expect(routed).toMatchObject({ interactionId: id, agentId: 'alice' });
    expect(looked).toEqual({ offer: null, more: false });
    // Alice's lookup passed the interaction over (its router held it) and asked for nothing more.
    expect(await waiting()).toEqual([]);
  });

  it('hands an interaction back to routing when a member of the same commit took the room it was picked for', async () => {
    await aliceAloneWithoutRelay();
    // Two of Alice's three email places are taken (each offered to her in its intake).
    await intakeFor(6);
    await intakeFor(7);
    const first = await queuedFor(8);
    const second = await queuedFor(9);
    // The second's router reserves her last place while her own lookup has picked the first.
    const { routed, looked } = await inOneCommit(second);
    expect(routed).toMatchObject({ interactionId: second, agentId: 'alice' });
    expect(looked).toEqual({ offer: null, more: false });
    expect(await stateOf(first)).toEqual({ state: 'queued', agent_id: null });
    expect(await waiting()).toEqual([{ kind: 'route.interaction', payload: { interactionId: first } }]);
  });
});
