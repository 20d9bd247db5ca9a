/**
 * A new interaction is offered in its intake: the agent is reserved and the interaction written
 * offered in the one transaction that takes it in, with the offer recorded as the router's decision.
 * When no agent has room it is written queued and routed after it commits, as any queued interaction.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replayInteraction } from '../../src/replay/replay.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { outboxSize, startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeEach(async () => {
  sb = await startTestSwitchboard(twoAgentConfig({ routing: { offerTimeout: '5m', wrapUpTimeout: '5m', aging: { every: '1h', add: 1 } } }), { relayPollMs: 50 });
});
afterEach(async () => {
  await sb?.stop();
});

const take = (subject: string) => sb.engine.intake({ channel: 'email', from: 'c@example.com', to: 's@example.com', subject, body: 'x' }, 'api:admin');
const history = (id: string) =>
  sb.database.sql<{ seq: number; type: string; actor: string; state: string }[]>`
    select seq, type, actor, state from interaction_events where interaction_id = ${id} order by seq`;
const routingAskedFor = async (id: string) =>
  (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from outbox where kind = 'route.interaction' and payload ->> 'interactionId' = ${id}`)[0]?.n;

describe('intake', () => {
  it('writes a new interaction offered to the best agent with room, in one transaction', async () => {
    await sb.engine.setPresence('bob', { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'test');
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'test');
    await expect.poll(() => outboxSize(sb), { timeout: 3_000, interval: 20 }).toBe(0);
    await sb.relay.stop();
    const members = sb.engine.commitStats.members;
    const taken = await take('invoice 7');
    expect(taken.state).toBe('offered');
    expect(sb.engine.commitStats.members - members).toBe(1);
    const [row] = await sb.database.sql<{ state: string; agent_id: string; load_email: number }[]>`
      select i.state, i.agent_id, a.load_email from interactions i join agents a on a.id = i.agent_id where i.id = ${taken.id}`;
    expect(row).toEqual({ state: 'offered', agent_id: 'alice', load_email: 1 });
    const events = await history(taken.id);
    expect(events.map((e) => [e.seq, e.type, e.state])).toEqual([
      [0, 'xstate.init', 'received'],
      [1, 'ACKNOWLEDGE', 'acknowledged'],
      [2, 'CATEGORIZE', 'categorized'],
      [3, 'ENQUEUE', 'queued'],
      [4, 'OFFER', 'offered'],
    ]);
    expect(events.slice(0, 4).every((e) => e.actor === 'api:admin')).toBe(true);
    expect(events[4]?.actor).toBe(`router:${process.pid}`);
    // Nothing left to route; Alice hears of her offer.
    expect(await routingAskedFor(taken.id)).toBe(0);
    const [offer] = await sb.database.sql<{ data: { interactionId: string } }[]>`select data from stream_events where user_id = 'alice' and type = 'offer'`;
    expect(offer?.data.interactionId).toBe(taken.id);
    expect(await replayInteraction(sb.database.sql, taken.id)).toMatchObject({ consistent: true });
  });

  it('writes it queued, and asks for its routing after the commit, when no agent has room', async () => {
    await sb.relay.stop();
    const taken = await take('invoice 8');
    expect(taken.state).toBe('queued');
    expect(await routingAskedFor(taken.id)).toBe(1);
    // An agent that went available while it was being taken in cannot have seen it: the routing after the commit offers it.
    await sb.engine.setPresence('bob', { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'test');
    await sb.database.sql`delete from outbox where kind = 'route.agent'`;
    sb.relay.start();
    await expect
      .poll(async () => (await sb.database.sql<{ state: string; agent_id: string | null }[]>`select state, agent_id from interactions where id = ${taken.id}`)[0], {
        timeout: 3_000,
        interval: 20,
      })
      .toEqual({ state: 'offered', agent_id: 'bob' });
  });
});
