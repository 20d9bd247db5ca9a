/**
 * Time-driven routing with real timers: priority aging while queued, and a transfer to an agent that
 * waits for that agent, then overflows to the workgroup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, twoAgentConfig } from '../support/configs.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(
    twoAgentConfig({
      routing: { offerTimeout: '1m', transferPriority: 40, wrapUpTimeout: '1m', aging: { every: '300ms', add: 2 } },
    }),
  );
});
afterAll(async () => {
  await sb?.stop();
});

describe('aging', () => {
  it('raises a queued interaction\'s priority every interval', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const { body } = await admin.post<{ id: string }>('/api/interactions', { channel: 'email', from: 'x@example.com', to: 's@example.com', subject: 'hello', body: 'x' });
    await expect.poll(async () => (await admin.get<{ priority: number }>(`/api/interactions/${body.id}`)).body.priority, { timeout: 5_000, interval: 100 }).toBeGreaterThanOrEqual(5);
    const history = await admin.get<{ events: { type: string }[] }>(`/api/interactions/${body.id}/history`);
    expect(history.body.events.filter((e) => e.type === 'timer.aging').length).toBeGreaterThanOrEqual(2);
  });
});

describe('transfer to an agent', () => {
  it('waits for that agent, then overflows to the workgroup', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const alice = client(sb.url, TOKENS.alice);
    const bob = client(sb.url, TOKENS.bob);
    await bob.put('/api/me/status', { status: 'not_ready', reason: 'Meeting' });
    await alice.put('/api/me/status', { status: 'available' });
    const aliceEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    const { body } = await admin.post<{ id: string }>('/api/interactions', { channel: 'sms', from: '+15550001234', to: '+15550009999', body: 'refund please' });
    await aliceEvents.next('offer', (e) => e.data.interactionId === body.id);
    await alice.post(`/api/interactions/${body.id}/accept`);

    // Alice transfers it to Bob, who is in a meeting: it waits for him (targeted), with the transfer priority.
    const transferred = await alice.post(`/api/interactions/${body.id}/transfer`, { agentId: 'bob' });
    expect(transferred.status).toBe(200);
    const waiting = await admin.get<{ state: string; statePath: string; targetAgentId: string; priority: number; agentId: string | null }>(`/api/interactions/${body.id}`);
    expect(waiting.body).toMatchObject({ state: 'queued', statePath: 'queued.targeted', targetAgentId: 'bob', priority: 40, agentId: null });

    // Alice is free, but it is not offered to her while it waits for Bob; the category overflows after 2 s.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await admin.get(`/api/interactions/${body.id}`)).body.state).toBe('queued');
    const reoffer = await aliceEvents.next('offer', (e) => e.data.interactionId === body.id, 10_000);
    expect(reoffer.data.interactionId).toBe(body.id);
    const history = await admin.get<{ events: { type: string; at: string }[] }>(`/api/interactions/${body.id}/history`);
    const types = history.body.events.map((e) => e.type).filter((type) => type !== 'timer.aging');
    expect(types.slice(-3)).toEqual(['TRANSFER', 'timer.overflow', 'OFFER']);
    const transferAt = Date.parse(history.body.events.find((e) => e.type === 'TRANSFER')!.at);
    const overflowAt = Date.parse(history.body.events.find((e) => e.type === 'timer.overflow')!.at);
    expect(overflowAt - transferAt).toBeGreaterThanOrEqual(1_900);
    await aliceEvents.close();
  });
});
