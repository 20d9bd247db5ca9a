/**
 * Queue management over HTTP and SSE: a supervisor changes a priority and reassigns interactions, and
 * the queue order follows; pulls an interaction back from its agent, who is released; sees agents'
 * state, load and time in state. The supervisors' stream pushes each queue at most once per second,
 * also when changes come from two processes, and resumes after Last-Event-ID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPERVISOR_TOPIC } from '../../src/desk/supervisor-stream.ts';
import type { Switchboard } from '../../src/switchboard.ts';
import { deskConfig, TOKENS } from '../support/desk.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
let other: Switchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(deskConfig());
  other = await sb.another();
});
afterAll(async () => {
  await sb?.stop();
});

type Item = { id: string; state: string; priority: number; category: string; targetAgentId: string | null; ageSeconds: number; waitingSeconds: number };
type Queue = { workgroup: string; counts: Record<string, number>; interactions: Item[]; agents: { id: string; status: string; load: { email: number } }[] };

const create = async (subject: string) =>
  (await client(sb.url, TOKENS.admin).post<{ id: string }>('/api/interactions', { channel: 'email', from: 'c@example.com', to: 's@example.com', subject, body: 'please help' })).body.id;

const queueOf = async (workgroup: string) => (await client(sb.url, TOKENS.supervisor).get<Queue>(`/api/supervisor/queues/${workgroup}`)).body;

describe('queue management', () => {
  it('reorders the queue when a priority changes and moves interactions when they are reassigned', async () => {
    const supervisor = client(sb.url, TOKENS.supervisor);
    const events = await openEventStream(`${sb.url}/api/supervisor/events`, TOKENS.supervisor);
    const initial = await events.next('queue', (e) => e.data.workgroup === 'support');
    expect(initial.id).toBeNull(); // the present, before any news
    // Nobody is available: everything waits.
    const first = await create('first');
    const second = await create('second');
    const third = await create('third');
    const support = await queueOf('support');
    expect(support.interactions.map((i) => i.id)).toEqual([first, second, third]);
    expect(support.interactions[0]).toMatchObject({ state: 'queued', priority: 1, category: 'general', targetAgentId: null });
    expect(support.counts.queued).toBe(3);

    const raised = await supervisor.post(`/api/supervisor/interactions/${third}/priority`, { priority: 50 });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ state: 'queued', priority: 50 });
    expect((await queueOf('support')).interactions.map((i) => i.id)).toEqual([third, first, second]);

    const moved = await supervisor.post(`/api/supervisor/interactions/${first}/reassign`, { workgroupId: 'billing' });
    expect(moved.body).toMatchObject({ state: 'queued', workgroup: 'billing' });
    const targeted = await supervisor.post(`/api/supervisor/interactions/${second}/reassign`, { agentId: 'bob' });
    expect(targeted.body).toMatchObject({ state: 'queued', targetAgentId: 'bob' });
    const after = await queueOf('support');
    expect(after.interactions.map((i) => [i.id, i.targetAgentId])).toEqual([[third, null], [second, 'bob']]);
    expect((await queueOf('billing')).interactions.map((i) => i.id)).toEqual([first]);

    // The stream shows the same order, within a second or so.
    // (Earlier snapshots may show the queue on its way there, e.g. [first, second] before third arrived.)
    const ids = (e: { data: Record<string, unknown> }) => (e.data.interactions as Item[]).map((i) => i.id).join(',');
    const pushed = await events.next('queue', (e) => e.data.workgroup === 'support' && ids(e) === [third, second].join(','));
    expect((pushed.data.interactions as Item[]).map((i) => [i.id, i.targetAgentId])).toEqual([[third, null], [second, 'bob']]);
    expect(pushed.id).not.toBeNull();
    const history = await supervisor.get<{ events: { type: string; actor: string }[] }>(`/api/interactions/${first}/history`);
    expect(history.body.events.at(-1)).toMatchObject({ type: 'REASSIGN', actor: 'user:sup' });

    // Bad input and scope: nothing changes.
    expect((await supervisor.post(`/api/supervisor/interactions/${third}/priority`, { priority: -1 })).status).toBe(400);
    const unknownAgent = await supervisor.post(`/api/supervisor/interactions/${third}/reassign`, { agentId: 'nobody' });
    expect(unknownAgent.body).toMatchObject({ error: { code: 'UNKNOWN_AGENT' } });
    const unknownGroup = await supervisor.post(`/api/supervisor/interactions/${third}/reassign`, { workgroupId: 'nowhere' });
    expect(unknownGroup.body).toMatchObject({ error: { code: 'UNKNOWN_WORKGROUP' } });
    const notTheirs = await client(sb.url, TOKENS.billingSupervisor).post(`/api/supervisor/interactions/${third}/priority`, { priority: 1 });
    expect(notTheirs.status).toBe(403);
    expect(notTheirs.body).toMatchObject({ error: { code: 'NOT_SUPERVISED' } });
    expect((await client(sb.url, TOKENS.billingSupervisor).get<{ queues: Queue[] }>('/api/supervisor/queues')).body.queues.map((q) => q.workgroup)).toEqual(['billing']);
    expect((await queueOf('support')).interactions.map((i) => [i.id, i.priority])).toEqual([[third, 50], [second, 1]]);
    await events.close();
  });

  it('pulls an interaction back from its agent and shows agents\' state, load and time in state', async () => {
    const supervisor = client(sb.url, TOKENS.supervisor);
    const alice = client(sb.url, TOKENS.alice);
    const aliceEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    await alice.put('/api/me/status', { status: 'available' });
    // Alice is offered the head of the queue (priority 50) and accepts it.
    const offer = await aliceEvents.next('offer');
    const id = String(offer.data.interactionId);
    await alice.post(`/api/interactions/${id}/accept`);
    const agents = await supervisor.get<{ agents: { id: string; status: string; secondsInState: number; load: { email: number }; workgroups: string[] }[] }>('/api/supervisor/agents');
    const seen = agents.body.agents.find((a) => a.id === 'alice');
    expect(seen).toMatchObject({ status: 'available', load: { email: 1 }, workgroups: ['support'] });
    expect(seen?.secondsInState).toBeGreaterThanOrEqual(0);
    expect(agents.body.agents.map((a) => a.id)).toEqual(['alice', 'bob', 'carmen', 'trainee']);

    const pulled = await supervisor.post(`/api/supervisor/interactions/${id}/revoke`, { reason: 'needs a specialist' });
    expect(pulled.body).toMatchObject({ state: 'queued', agentId: null });
    await aliceEvents.next('interaction_updated', (e) => e.data.interactionId === id && e.data.state === 'queued');
    const load = async () => (await sb.database.sql<{ load_email: number }[]>`select load_email from agents where id = 'alice'`)[0]?.load_email;
    expect(await load()).toBe(0);
    // Not offered straight back to Alice, though it heads the queue: she gets the next one instead.
    const fresh = await create('fresh');
    const next = await aliceEvents.next('offer');
    expect(next.data.interactionId).toBe(fresh);
    expect((await supervisor.get(`/api/interactions/${id}`)).body).toMatchObject({ state: 'queued', priority: 50 });
    // Reassigning it to her is explicit, and she is offered it.
    expect((await supervisor.post(`/api/supervisor/interactions/${id}/reassign`, { agentId: 'alice' })).body).toMatchObject({ targetAgentId: 'alice' });
    await aliceEvents.next('offer', (e) => e.data.interactionId === id);
    expect(await load()).toBe(2);
    // Reassigning an offered interaction pulls it back first, which releases the agent.
    const elsewhere = await supervisor.post(`/api/supervisor/interactions/${id}/reassign`, { workgroupId: 'billing' });
    expect(elsewhere.body).toMatchObject({ state: 'queued', workgroup: 'billing', agentId: null });
    await aliceEvents.next('offer_revoked', (e) => e.data.interactionId === id);
    expect(await load()).toBe(1);
    const history = await supervisor.get<{ events: { type: string; state: string }[] }>(`/api/interactions/${id}/history`);
    expect(history.body.events.slice(-2).map((e) => `${e.type}>${e.state}`)).toEqual(['REVOKE>queued', 'REASSIGN>queued']);
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    await aliceEvents.close();
  });

  it('pushes each queue at most once per second, across processes, and resumes after Last-Event-ID', async () => {
    const supervisor = client(sb.url, TOKENS.supervisor);
    const otherSupervisor = client(other.url ?? '', TOKENS.supervisor);
    const ids = [await create('burst one'), await create('burst two')];
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const [mark] = await sb.database.sql<{ id: string }[]>`select coalesce(max(id), 0)::text as id from stream_events where user_id = ${SUPERVISOR_TOPIC}`;
    const started = Date.now();
    // Forty changes from two processes, over about two seconds.
    for (let n = 0; n < 20; n++) {
      await supervisor.post(`/api/supervisor/interactions/${ids[0]}/priority`, { priority: 100 + n });
      await otherSupervisor.post(`/api/supervisor/interactions/${ids[1]}/priority`, { priority: 200 + n });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const elapsed = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const pushed = await sb.database.sql<{ at: Date; data: { interactions: Item[] } }[]>`
      select at, data from stream_events where user_id = ${SUPERVISOR_TOPIC} and id > ${mark?.id ?? '0'} and type = 'queue' and data ->> 'workgroup' = 'support' order by id`;
    expect(pushed.length).toBeGreaterThanOrEqual(1);
    expect(pushed.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1_000) + 2);
    for (let i = 1; i < pushed.length; i++) {
      expect(pushed[i]!.at.getTime() - pushed[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(900);
    }
    // The last one shows where things ended.
    const last = pushed.at(-1)!.data.interactions;
    expect(last.slice(0, 2).map((i) => [i.id, i.priority])).toEqual([[ids[1], 219], [ids[0], 119]]);

    // Resumption: events missed while disconnected arrive after Last-Event-ID, in order.
    const first = await openEventStream(`${sb.url}/api/supervisor/events`, TOKENS.supervisor);
    await supervisor.post(`/api/supervisor/interactions/${ids[0]}/priority`, { priority: 7 });
    const seen = await first.next('queue', (e) => e.id !== null && (e.data.interactions as Item[]).some((i) => i.id === ids[0] && i.priority === 7));
    await first.close();
    await supervisor.post(`/api/supervisor/interactions/${ids[0]}/priority`, { priority: 8 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const resumed = await openEventStream(`${sb.url}/api/supervisor/events`, TOKENS.supervisor, seen.id ?? undefined);
    const missed = await resumed.next('queue', (e) => (e.data.interactions as Item[]).some((i) => i.id === ids[0] && i.priority === 8));
    expect(Number(missed.id)).toBeGreaterThan(Number(seen.id));
    // Resuming sends no snapshot of the present first: only stored events, with ids.
    expect(resumed.events.every((e) => e.id !== null)).toBe(true);
    await resumed.close();
  });
});
