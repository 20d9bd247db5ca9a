/**
 * The response library over HTTP and SSE: an interaction about an order is offered with the order
 * responses ranked first (and so are the suggestions asked for later); agents search by keyword within
 * their workgroups and channel; a reply from a response fills its placeholders and records the
 * response in the message and the event. Codes: what applies to the caller, and wrap-up accepting
 * only its workgroup's dispositions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, openEventStream } from '../support/http-client.ts';
import { deskConfig, TOKENS } from '../support/desk.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(deskConfig());
});
afterAll(async () => {
  await sb?.stop();
});

type Suggestion = { id: string; title: string; rank: number };

describe('standard responses', () => {
  it('offers an order interaction with the order responses first, fills placeholders and records the response used', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const alice = client(sb.url, TOKENS.alice);
    await client(sb.url, TOKENS.bob).put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    const events = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    await alice.put('/api/me/status', { status: 'available' });

    const created = await admin.post<{ id: string; reference: number; category: string }>('/api/interactions', {
      channel: 'email',
      from: 'maria@example.com',
      to: 'support@example.com',
      subject: 'Where is my order?',
      body: 'I ordered a lamp two weeks ago and the parcel has not arrived. The tracking page shows nothing, though the payment went through.',
    });
    expect(created.status).toBe(201);
    expect(created.body.category).toBe('orders');
    const id = created.body.id;

    const offer = await events.next('offer', (e) => e.data.interactionId === id);
    const offered = offer.data.suggestions as Suggestion[];
    expect(offered.map((s) => s.id).slice(0, 2)).toEqual(['order-status', 'order-cancel']);
    // Not for this workgroup (billing-only) or this channel (sms-hello): never suggested.
    expect(offered.map((s) => s.id)).not.toContain('billing-only');

    const asked = await alice.get<{ suggestions: Suggestion[] }>(`/api/interactions/${id}/suggestions?limit=10`);
    expect(asked.status).toBe(200);
    const ids = asked.body.suggestions.map((s) => s.id);
    expect(ids.slice(0, 2)).toEqual(['order-status', 'order-cancel']);
    expect(ids).toContain('refund'); // "payment" matches too, ranked below the order responses
    expect(ids).not.toContain('password');
    expect(ids).not.toContain('billing-only');
    expect(ids).not.toContain('sms-hello');
    const ranks = asked.body.suggestions.map((s) => s.rank);
    expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
    // Another agent may not look at it.
    expect((await client(sb.url, TOKENS.bob).get(`/api/interactions/${id}/suggestions`)).status).toBe(403);

    await alice.post(`/api/interactions/${id}/accept`);
    const unknown = await alice.post(`/api/interactions/${id}/reply`, { responseId: 'no-such-response' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: { code: 'UNKNOWN_RESPONSE', details: [{ path: 'responseId' }] } });
    const wrongChannel = await alice.post(`/api/interactions/${id}/reply`, { responseId: 'sms-hello' });
    expect(wrongChannel.body).toMatchObject({ error: { code: 'RESPONSE_NOT_APPLICABLE' } });
    const neither = await alice.post(`/api/interactions/${id}/reply`, {});
    expect(neither.status).toBe(400);
    expect(await sb.database.sql`select id from messages where interaction_id = ${id} and direction = 'out'`).toHaveLength(0);

    const replied = await alice.post<{ messageId: string; status: string }>(`/api/interactions/${id}/reply`, { responseId: 'order-status' });
    expect(replied.status).toBe(201);
    expect(replied.body.status).toBe('pending');
    const [message] = await sb.database.sql<{ body: string; metadata: Record<string, unknown> }[]>`
      select body, metadata from messages where id = ${replied.body.messageId}`;
    // No contact name is known: the placeholder's fallback is used.
    expect(message?.body).toBe(`Dear customer,\n\nyour order is on its way; reference ${created.body.reference}.\n\nKind regards,\nAlice`);
    expect(message?.metadata).toMatchObject({ responseId: 'order-status' });
    const history = await alice.get<{ events: { type: string; event: Record<string, unknown> }[] }>(`/api/interactions/${id}/history`);
    expect(history.body.events.find((e) => e.type === 'REPLY')?.event).toMatchObject({ responseId: 'order-status', messageId: replied.body.messageId });

    // An agent's own edit of a response: their text, placeholders filled, the response still recorded.
    const edited = await alice.post<{ messageId: string }>(`/api/interactions/${id}/reply`, { responseId: 'refund', body: 'Refund for ref {{reference}} by {{agent.name}}.' });
    const [second] = await sb.database.sql<{ body: string; metadata: Record<string, unknown> }[]>`select body, metadata from messages where id = ${edited.body.messageId}`;
    expect(second).toMatchObject({ body: `Refund for ref ${created.body.reference} by Alice.`, metadata: { responseId: 'refund' } });
    await events.close();
  });

  it('lets agents search by keyword within their workgroups and channel', async () => {
    const alice = client(sb.url, TOKENS.alice);
    const refunds = await alice.get<{ responses: { id: string; body: string }[] }>('/api/responses?q=refund');
    expect(refunds.status).toBe(200);
    expect(refunds.body.responses.map((r) => r.id)).toEqual(['refund']);
    const orders = await alice.get<{ responses: { id: string }[] }>('/api/responses?q=orders');
    // Stemmed ("orders" finds "order"); billing-only is not for Alice's workgroup.
    expect(orders.body.responses.map((r) => r.id).sort()).toEqual(['order-cancel', 'order-status', 'sms-hello']);
    const bySms = await alice.get<{ responses: { id: string }[] }>('/api/responses?q=order&channel=sms');
    expect(bySms.body.responses.map((r) => r.id).sort()).toEqual(['order-status', 'sms-hello']);
    const supervisor = await client(sb.url, TOKENS.supervisor).get<{ responses: { id: string }[] }>('/api/responses?q=order');
    expect(supervisor.body.responses.map((r) => r.id)).toContain('billing-only');
    const all = await alice.get<{ responses: unknown[] }>('/api/responses');
    expect(all.body.responses).toHaveLength(5);
    expect((await alice.get('/api/responses?limit=0')).status).toBe(400);
  });
});

describe('codes', () => {
  it('lists what applies to the caller and accepts only the workgroup dispositions at wrap-up', async () => {
    const alice = client(sb.url, TOKENS.alice);
    const codes = await alice.get<{
      statusMessages: string[];
      notReadyReasons: string[];
      dispositions: { code: string }[];
      workgroupDispositions: Record<string, { code: string }[]>;
    }>('/api/me/codes');
    expect(codes.status).toBe(200);
    expect(codes.body.statusMessages).toEqual(['Available', 'Away', 'Meeting']);
    expect(codes.body.notReadyReasons).toContain('Lunch');
    expect(Object.keys(codes.body.workgroupDispositions)).toEqual(['support']);
    expect(codes.body.workgroupDispositions.support?.map((d) => d.code)).toEqual(['resolved', 'follow_up', 'refunded']);
    const billingSupervisor = await client(sb.url, TOKENS.billingSupervisor).get<{ workgroupDispositions: Record<string, { code: string }[]> }>('/api/me/codes');
    expect(billingSupervisor.body.workgroupDispositions).toEqual({
      billing: [{ code: 'refunded', name: 'Refund issued', default: false }, { code: 'resolved', default: true }],
    });

    expect((await alice.put('/api/me/status-message', { message: 'Away' })).body).toMatchObject({ message: 'Away' });
    const unknown = await alice.put('/api/me/status-message', { message: 'Gone fishing' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: { code: 'UNKNOWN_STATUS_MESSAGE' } });
    expect((await alice.get<{ statusMessage: { message: string } }>('/api/me/codes')).body.statusMessage.message).toBe('Away');

    // An interaction of the billing workgroup: wrap-up takes billing's codes only.
    const admin = client(sb.url, TOKENS.admin);
    const carmen = client(sb.url, TOKENS.carmen);
    const events = await openEventStream(`${sb.url}/api/me/events`, TOKENS.carmen);
    await carmen.put('/api/me/status', { status: 'available' });
    const { body } = await admin.post<{ id: string }>('/api/interactions', { channel: 'email', from: 'x@example.com', to: 'support@example.com', subject: 'A return', body: 'I want to return the lamp' });
    await events.next('offer', (e) => e.data.interactionId === body.id);
    await carmen.post(`/api/interactions/${body.id}/accept`);
    expect((await carmen.post(`/api/interactions/${body.id}/done`)).body).toMatchObject({ state: 'wrapUp' });
    const refused = await carmen.post(`/api/interactions/${body.id}/wrap-up`, { disposition: 'follow_up' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'UNKNOWN_DISPOSITION', details: { allowed: ['refunded', 'resolved'] } } });
    expect((await carmen.post(`/api/interactions/${body.id}/wrap-up`, { disposition: 'refunded' })).body).toMatchObject({ state: 'closed' });
    await events.close();
  });
});
