/**
 * End to end over HTTP and SSE: two skilled agents, one interaction. The better agent is offered it,
 * lets it ring out and goes not ready; the other agent gets it with the raised priority, accepts,
 * replies, marks it done and wraps it up; the history shows every step and replay agrees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, twoAgentConfig } from '../support/configs.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { outboxSize, startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(twoAgentConfig());
});
afterAll(async () => {
  await sb?.stop();
});

describe('an interaction from intake to closed', () => {
  it('offers the better agent, re-routes on no answer, and closes with a disposition', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const alice = client(sb.url, TOKENS.alice);
    const bob = client(sb.url, TOKENS.bob);
    const aliceEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    const bobEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.bob);

    expect((await alice.put('/api/me/status', { status: 'available' })).status).toBe(200);
    expect((await bob.put('/api/me/status', { status: 'available' })).status).toBe(200);
    await aliceEvents.next('status', (e) => e.data.status === 'available');
    // Both agents' log-ins have been routed (nothing waits in the outbox) before the interaction arrives.
    await expect.poll(() => outboxSize(sb), { timeout: 5_000 }).toBe(0);

    const created = await admin.post<{ id: string; state: string }>('/api/interactions', {
      channel: 'email',
      from: 'customer@example.com',
      to: 'support@example.com',
      subject: 'Refund for invoice 1234',
      body: 'I was charged twice.',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;

    // Alice has the higher billing proficiency: she is offered it first.
    const offer = await aliceEvents.next('offer', (e) => e.data.interactionId === id);
    expect(typeof offer.data.expiresAt).toBe('string');
    expect(new Date(String(offer.data.expiresAt)).getTime()).toBeGreaterThan(Date.now());
    const offered = await alice.get(`/api/interactions/${id}`);
    expect(offered.body).toMatchObject({ state: 'offered', agentId: 'alice', category: 'billing', workgroup: 'support', priority: 10 });

    // Bob cannot act on Alice's offer.
    const stolen = await bob.post(`/api/interactions/${id}/accept`);
    expect(stolen.status).toBe(403);
    expect(stolen.body).toMatchObject({ error: { code: 'NOT_YOUR_INTERACTION' } });

    // Alice lets it ring out: it is revoked, she goes not ready with "No answer", Bob gets it with priority raised.
    await aliceEvents.next('offer_revoked', (e) => e.data.interactionId === id);
    const status = await aliceEvents.next('status', (e) => e.data.status === 'not_ready');
    expect(status.data.reason).toBe('No answer');
    await bobEvents.next('offer', (e) => e.data.interactionId === id);
    const reoffered = await bob.get(`/api/interactions/${id}`);
    expect(reoffered.body).toMatchObject({ state: 'offered', agentId: 'bob', priority: 15 });

    expect((await bob.post(`/api/interactions/${id}/accept`)).body).toMatchObject({ state: 'active', agentId: 'bob' });
    const replied = await bob.post(`/api/interactions/${id}/reply`, { body: 'Your refund is on its way.' });
    expect(replied.status).toBe(201);
    expect((await bob.post(`/api/interactions/${id}/done`)).body).toMatchObject({ state: 'wrapUp' });
    const unknown = await bob.post(`/api/interactions/${id}/wrap-up`, { disposition: 'nonsense' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: { code: 'UNKNOWN_DISPOSITION' } });
    expect((await bob.post(`/api/interactions/${id}/wrap-up`, { disposition: 'follow_up' })).body).toMatchObject({ state: 'closed' });

    const closed = await bob.get<{ state: string; disposition: string; lastAgentId: string; messages: { direction: string; body: string }[] }>(`/api/interactions/${id}`);
    expect(closed.body).toMatchObject({ state: 'closed', disposition: 'follow_up', lastAgentId: 'bob' });
    expect(closed.body.messages.map((m) => m.direction)).toEqual(['in', 'out']);

    const history = await admin.get<{ events: { seq: number; type: string; state: string; at: string }[] }>(`/api/interactions/${id}/history`);
    expect(history.body.events.map((e) => `${e.type}>${e.state}`)).toEqual([
      'xstate.init>received',
      'ACKNOWLEDGE>acknowledged',
      'CATEGORIZE>categorized',
      'ENQUEUE>queued',
      'OFFER>offered',
      'timer.offerTimeout>queued',
      'OFFER>offered',
      'ACCEPT>active',
      'REPLY>active',
      'DONE>wrapUp',
      'WRAP_UP>closed',
    ]);
    expect(history.body.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const replay = await admin.get<{ consistent: boolean; steps: unknown[] }>(`/api/interactions/${id}/replay`);
    expect(replay.body.consistent).toBe(true);
    expect(replay.body.steps).toHaveLength(11);

    // Alice's capacity was released and Bob's too: both hold nothing.
    const loads = await sb.database.sql<{ id: string; load_email: number }[]>`select id, load_email from agents order by id`;
    expect(loads.map((l) => [l.id, l.load_email])).toEqual([['alice', 0], ['bob', 0]]);

    await aliceEvents.close();
    await bobEvents.close();
  });

  it('resumes an event stream after Last-Event-ID', async () => {
    const alice = client(sb.url, TOKENS.alice);
    const first = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    const lunch = await first.next('status', (e) => e.data.reason === 'Lunch');
    await first.close();
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Meeting' });
    const resumed = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice, lunch.id ?? undefined);
    const meeting = await resumed.next('status', (e) => e.data.reason === 'Meeting');
    expect(Number(meeting.id)).toBeGreaterThan(Number(lunch.id));
    await resumed.close();
  });

  it('applies the default disposition when wrap-up times out', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const bob = client(sb.url, TOKENS.bob);
    const alice = client(sb.url, TOKENS.alice);
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Training' });
    await bob.put('/api/me/status', { status: 'available' });
    const bobEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.bob);
    const { body } = await admin.post<{ id: string }>('/api/interactions', { channel: 'sms', from: '+15551230001', to: '+15550001111', body: 'hello' });
    await bobEvents.next('offer', (e) => e.data.interactionId === body.id);
    await bob.post(`/api/interactions/${body.id}/accept`);
    await bob.post(`/api/interactions/${body.id}/done`);
    await expect.poll(async () => (await bob.get(`/api/interactions/${body.id}`)).body.state, { timeout: 10_000, interval: 200 }).toBe('closed');
    expect((await bob.get(`/api/interactions/${body.id}`)).body.disposition).toBe('resolved');
    await bobEvents.close();
  });
});
