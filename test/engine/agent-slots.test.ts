/**
 * The agent slots a new interaction is routed by (routing-profiles.ts, migration 0008): for every
 * routing profile in use, the agents that have its skills, with their proficiency, readiness and idle
 * time, kept true by triggers whatever changes an agent; and routing that falls back to the agents
 * themselves for a profile no longer in use.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyConfigChange } from '../../src/admin/apply-config.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { routeInteraction } from '../../src/engine/router.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { outboxSize, startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeEach(async () => {
  sb = await startTestSwitchboard(twoAgentConfig({ routing: { offerTimeout: '5m', wrapUpTimeout: '5m', aging: { every: '1h', add: 1 } } }), {
    relayPollMs: 50,
  });
});
afterEach(async () => {
  await sb?.stop();
});

interface Slot {
  agent_id: string;
  workgroup: string;
  skills: string[];
  channel: string;
  score: number;
  ready: boolean;
}
const slots = () =>
  sb.database.sql<Slot[]>`
    select agent_id, workgroup, skills, channel, score, ready from agent_slots order by agent_id, workgroup, skills, channel`;
const slotsOf = async (agentId: string, channel: string) => (await slots()).filter((s) => s.agent_id === agentId && s.channel === channel);
const profiles = async () => (await sb.database.sql<{ skills: string[] }[]>`select skills from routing_profiles order by skills`).map((r) => r.skills);
/** The agent goes available, and its look for work (which holds its row for a moment) is over. */
const available = async (agentId: string) => {
  await sb.engine.setPresence(agentId, { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'test');
  await expect.poll(() => outboxSize(sb), { timeout: 3_000, interval: 20 }).toBe(0);
};
const intake = async (subject: string) =>
  (await sb.engine.intake({ channel: 'email', from: `c-${subject}@example.com`, to: 's@example.com', subject, body: 'x' }, 'test')).id;
const stateOf = async (id: string) => (await sb.database.sql<{ state: string; agent_id: string | null }[]>`select state, agent_id from interactions where id = ${id}`)[0];
const change = (mutate: (document: ConfigInput) => void) =>
  applyConfigChange(sb.engine, {
    actor: 'test',
    action: 'test',
    source: 'api',
    mutate: (document) => {
      const next = structuredClone(document) as ConfigInput;
      mutate(next);
      return next;
    },
  });

describe('agent slots', () => {
  it('lists each agent under every profile in use whose skills it has, with its proficiency, not ready while logged out', async () => {
    expect(await profiles()).toEqual([[], ['billing']]);
    expect(await slots()).toEqual([
      { agent_id: 'alice', workgroup: 'support', skills: [], channel: 'email', score: 0, ready: false },
      { agent_id: 'alice', workgroup: 'support', skills: [], channel: 'sms', score: 0, ready: false },
      { agent_id: 'alice', workgroup: 'support', skills: ['billing'], channel: 'email', score: 9, ready: false },
      { agent_id: 'alice', workgroup: 'support', skills: ['billing'], channel: 'sms', score: 9, ready: false },
      { agent_id: 'bob', workgroup: 'support', skills: [], channel: 'email', score: 0, ready: false },
      { agent_id: 'bob', workgroup: 'support', skills: [], channel: 'sms', score: 0, ready: false },
      { agent_id: 'bob', workgroup: 'support', skills: ['billing'], channel: 'email', score: 4, ready: false },
      { agent_id: 'bob', workgroup: 'support', skills: ['billing'], channel: 'sms', score: 4, ready: false },
    ]);
  });

  it('follows presence and load: ready while available with room for that media type, idle time from the last offer', async () => {
    await available('alice');
    expect((await slotsOf('alice', 'email')).map((s) => s.ready)).toEqual([true, true]);
    // Three emails fill her email capacity; SMS room is untouched.
    const offered: string[] = [];
    for (const subject of ['invoice 1', 'invoice 2', 'invoice 3']) offered.push(await intake(subject));
    for (const id of offered) await expect.poll(() => stateOf(id), { timeout: 3_000, interval: 20 }).toEqual({ state: 'offered', agent_id: 'alice' });
    expect((await slotsOf('alice', 'email')).map((s) => s.ready)).toEqual([false, false]);
    expect((await slotsOf('alice', 'sms')).map((s) => s.ready)).toEqual([true, true]);
    const [agent] = await sb.database.sql<{ idle_since: Date }[]>`select idle_since from agents where id = 'alice'`;
    const idle = await sb.database.sql<{ idle_since: Date }[]>`select distinct idle_since from agent_slots where agent_id = 'alice'`;
    expect(idle.map((r) => r.idle_since.getTime())).toEqual([agent?.idle_since.getTime()]);
    // A declined offer frees the room again.
    await sb.actions.decline(offered[0] ?? '', 'alice');
    await expect.poll(async () => (await slotsOf('alice', 'email')).map((s) => s.ready), { timeout: 3_000, interval: 20 }).toEqual([true, true]);
    await sb.engine.setPresence('alice', { type: 'GO_NOT_READY', reason: 'Lunch', at: new Date().toISOString() }, 'test');
    expect((await slots()).filter((s) => s.agent_id === 'alice').every((s) => !s.ready)).toBe(true);
  });

  it('follows configuration changes: profiles, skills, workgroups, agents removed', async () => {
    await change((document) => {
      const billing = document.categories?.find((c) => c.id === 'billing');
      if (billing) billing.skills = ['english', 'billing'];
      const bob = document.users?.find((u) => u.id === 'bob');
      if (bob) bob.skills = { english: 9 };
    });
    expect(await profiles()).toEqual([[], ['billing', 'english']]);
    const email = (await slots()).filter((s) => s.channel === 'email');
    // Alice has both skills (9 + 8); Bob no longer has billing, so only the profile without skills.
    expect(email.map((s) => [s.agent_id, s.skills, s.score])).toEqual([
      ['alice', [], 0],
      ['alice', ['billing', 'english'], 17],
      ['bob', [], 0],
    ]);
    await change((document) => {
      document.workgroups?.push({ id: 'sales', name: 'Sales' });
      const alice = document.users?.find((u) => u.id === 'alice');
      if (alice) alice.workgroups = ['sales'];
      document.users = document.users?.filter((u) => u.id !== 'bob');
    });
    expect((await slots()).filter((s) => s.channel === 'email').map((s) => [s.agent_id, s.workgroup, s.skills])).toEqual([
      ['alice', 'sales', []],
      ['alice', 'sales', ['billing', 'english']],
    ]);
  });

  it('offers the best proficiency first, then the longest idle', async () => {
    await available('bob');
    await available('alice');
    const first = await intake('invoice a');
    await expect.poll(() => stateOf(first), { timeout: 3_000, interval: 20 }).toEqual({ state: 'offered', agent_id: 'alice' });
    // No skills required: both score 0, and Bob has been idle longer than Alice, who was just offered work.
    const second = await intake('hello');
    await expect.poll(() => stateOf(second), { timeout: 3_000, interval: 20 }).toEqual({ state: 'offered', agent_id: 'bob' });
    const third = await intake('hello again');
    await expect.poll(() => stateOf(third), { timeout: 3_000, interval: 20 }).toEqual({ state: 'offered', agent_id: 'alice' });
  });

  it('routes an interaction whose profile is no longer in use by the agents themselves', async () => {
    // Taken in while nobody is available, so that it stays queued; then both go available, no relay looking for work.
    await sb.relay.stop();
    const id = await intake('invoice b');
    await sb.database.sql`delete from routing_profiles`;
    expect(await slots()).toEqual([]);
    for (const agentId of ['bob', 'alice']) await sb.engine.setPresence(agentId, { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'test');
    const offer = await sb.engine.transaction((tx, outbox, now) => routeInteraction(tx, sb.engine.config, id, now, outbox));
    expect(offer?.agentId).toBe('alice');
    expect(await stateOf(id)).toEqual({ state: 'offered', agent_id: 'alice' });
  });
});
