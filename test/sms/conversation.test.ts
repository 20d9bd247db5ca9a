/**
 * A conversation over real HTTP and SSE: a customer's messages reach the same agent, the agent's reply
 * reaches the (fake) provider with the right body and is retried after a 500 without being sent
 * twice (and after a 429 no sooner than its Retry-After), delivery callbacks update the message and show up on the agent's stream, and a customer who
 * writes again after the interaction closed is routed back to the agent who last handled them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyInteractionEvent } from '../../src/engine/interaction-runtime.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { COMPANY_NUMBER, TOKENS, startSmsTestBed, type SmsTestBed } from '../support/sms.ts';

let bed: SmsTestBed;

beforeAll(async () => {
  bed = await startSmsTestBed();
});
afterAll(async () => {
  await bed?.stop();
});

interface MessageView {
  id: string;
  direction: string;
  body: string;
  status: string;
  authorId: string | null;
}
interface InteractionView {
  id: string;
  state: string;
  agentId: string | null;
  targetAgentId: string | null;
  lastAgentId: string | null;
  category: string;
  messages: MessageView[];
}

const text = (from: string, body: string) => bed.twilio.sendInbound(bed.inboundUrl(), { From: from, To: COMPANY_NUMBER, Body: body });

/** Alice goes available, the customer texts, and Alice accepts the offer: her client, her stream and the interaction's id. */
async function aliceTakes(customer: string, body: string) {
  const alice = client(bed.sb.url, TOKENS.alice);
  const events = await openEventStream(`${bed.sb.url}/api/me/events`, TOKENS.alice);
  await alice.put('/api/me/status', { status: 'available' });
  expect((await text(customer, body)).status).toBe(200);
  const offer = await events.next('offer', (e) => e.data.from === customer);
  const id = String(offer.data.interactionId);
  expect((await alice.post(`/api/interactions/${id}/accept`)).status).toBe(200);
  return { alice, events, id };
}

describe('an SMS conversation', () => {
  it('reaches the same agent, and the reply reaches the provider after a 500, then reports delivery', async () => {
    const customer = '+14155550201';
    const alice = client(bed.sb.url, TOKENS.alice);
    const events = await openEventStream(`${bed.sb.url}/api/me/events`, TOKENS.alice);
    await alice.put('/api/me/status', { status: 'available' });
    await events.next('status', (e) => e.data.status === 'available');

    expect((await text(customer, 'Hi, my parcel is late')).status).toBe(200);
    const offer = await events.next('offer');
    const id = String(offer.data.interactionId);
    expect((await alice.post(`/api/interactions/${id}/accept`)).body).toMatchObject({ state: 'active', agentId: 'alice' });

    // The acknowledgement went out before anything else.
    await expect.poll(() => bed.twilio.messages.filter((m) => m.to === customer).length, { timeout: 10_000 }).toBe(1);

    expect((await text(customer, 'It was due Monday')).status).toBe(200);
    const second = await events.next('customer_message', (e) => e.data.interactionId === id);
    expect((await text(customer, 'Order 5512')).status).toBe(200);
    const third = await events.next('customer_message', (e) => e.data.interactionId === id);
    expect(second.data.messageId).not.toBe(third.data.messageId);

    const thread = await alice.get<InteractionView>(`/api/interactions/${id}`);
    expect(thread.body.messages.filter((m) => m.direction === 'in').map((m) => m.body)).toEqual(['Hi, my parcel is late', 'It was due Monday', 'Order 5512']);
    expect(thread.body.messages.map((m) => m.direction)).toEqual(['in', 'out', 'in', 'in']);
    // Each provider message's claim names the interaction it went to.
    const claims = await bed.sb.database.sql<{ interaction_id: string; keyword: string | null }[]>`
      select interaction_id, keyword from sms_inbound where sender = ${customer} order by received_at`;
    expect(claims).toEqual([1, 2, 3].map(() => ({ interaction_id: id, keyword: null })));

    // The provider fails once; BullMQ retries with the same idempotency key and it goes through once.
    const requestsBefore = bed.twilio.requestCount;
    bed.twilio.failNext(1, 500);
    const replied = await alice.post<{ messageId: string }>(`/api/interactions/${id}/reply`, { body: "Sorry! It's out for delivery today." });
    expect(replied.status).toBe(201);
    const messageId = replied.body.messageId;
    await expect.poll(() => bed.twilio.accepted.filter((a) => a.idempotencyToken === messageId).length, { timeout: 15_000, interval: 100 }).toBe(1);
    expect(bed.twilio.requestCount - requestsBefore).toBeGreaterThanOrEqual(2);
    const sent = bed.twilio.accepted.find((a) => a.idempotencyToken === messageId);
    expect(sent?.message).toMatchObject({ to: customer, from: COMPANY_NUMBER, body: "Sorry! It's out for delivery today.", num_segments: '1' });
    expect(sent?.statusCallback).toBe(`${bed.sb.url}/webhooks/sms/twilio/status?messageId=${messageId}`);
    const sid = sent?.message.sid ?? '';
    await expect
      .poll(async () => (await alice.get<InteractionView>(`/api/interactions/${id}`)).body.messages.find((m) => m.id === messageId)?.status, { timeout: 10_000 })
      .toBe('sent');

    // Delivery callbacks, to the URL Switchboard gave the provider.
    const callback = sent?.statusCallback ?? '';
    expect((await bed.twilio.sendStatusCallback(callback, { MessageSid: sid, MessageStatus: 'sent' })).status).toBe(200);
    const delivered = await bed.twilio.sendStatusCallback(callback, { MessageSid: sid, MessageStatus: 'delivered' });
    expect([delivered.status, delivered.body]).toEqual([200, '<?xml version="1.0" encoding="UTF-8"?><Response></Response>']);
    const statusEvent = await events.next('message_status', (e) => e.data.messageId === messageId && e.data.providerStatus === 'delivered');
    expect(statusEvent.data).toMatchObject({ interactionId: id, status: 'delivered' });

    // A repeated callback and a late "sent" change nothing.
    await bed.twilio.sendStatusCallback(callback, { MessageSid: sid, MessageStatus: 'delivered' });
    await bed.twilio.sendStatusCallback(callback, { MessageSid: sid, MessageStatus: 'queued' });
    const final = await alice.get<InteractionView>(`/api/interactions/${id}`);
    expect(final.body.messages.find((m) => m.id === messageId)).toMatchObject({ status: 'delivered', authorId: 'alice' });
    const history = await bed.sb.database.sql<{ status: string }[]>`select status from sms_message_status where message_id = ${messageId} order by id`;
    expect(history.map((h) => h.status)).toEqual(['queued', 'sent', 'delivered']);
    const [row] = await bed.sb.database.sql<{ external_id: string }[]>`select external_id from messages where id = ${messageId}`;
    expect(row?.external_id).toBe(sid);

    // A failure reported by provider sid alone (no message id in the URL) is found too.
    const ack = bed.twilio.messages.find((m) => m.to === customer && m.body.startsWith('Thanks'));
    const failed = await bed.twilio.sendStatusCallback(bed.statusUrl(), { MessageSid: ack?.sid ?? '', MessageStatus: 'undelivered', ErrorCode: '30003' });
    expect(failed.status).toBe(200);
    const undelivered = await events.next('message_status', (e) => e.data.status === 'undelivered');
    expect(undelivered.data).toMatchObject({ interactionId: id, errorCode: '30003' });
    const unknown = await bed.twilio.sendStatusCallback(bed.statusUrl(), { MessageSid: 'SM' + 'f'.repeat(32), MessageStatus: 'delivered' });
    expect([unknown.status, JSON.parse(unknown.body).error.code]).toEqual([404, 'UNKNOWN_MESSAGE']);

    await alice.post(`/api/interactions/${id}/done`);
    await alice.post(`/api/interactions/${id}/wrap-up`, { disposition: 'resolved' });
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    await events.close();
  });

  it('gives back the agent reserved ahead of a message that joins an open conversation or is a retry', async () => {
    // Each new message reserves the agent it would be offered to in the round trip that looks up its
    // conversation; a message that starts nothing gives the reservation back, load and idle time alike.
    const customer = '+14155550209';
    const bob = client(bed.sb.url, TOKENS.bob);
    await bob.put('/api/me/status', { status: 'available' });
    const { alice, events, id } = await aliceTakes(customer, 'My card was charged twice');
    const agentsNow = () => bed.sb.database.sql<{ id: string; load_sms: number; idle_since: Date }[]>`
      select id, load_sms, idle_since from agents where id in ('alice', 'bob') order by id`;
    const before = await agentsNow();
    expect(before.map((a) => [a.id, a.load_sms])).toEqual([
      ['alice', 1],
      ['bob', 0],
    ]);

    const sid = 'SM' + 'a1'.repeat(16);
    expect((await bed.twilio.sendInbound(bed.inboundUrl(), { From: customer, To: COMPANY_NUMBER, Body: 'On the 3rd and the 4th', MessageSid: sid })).status).toBe(200);
    await events.next('customer_message', (e) => e.data.interactionId === id);
    expect(await agentsNow()).toEqual(before);

    // The provider sends it again: a retry, which changes nothing.
    expect((await bed.twilio.sendInbound(bed.inboundUrl(), { From: customer, To: COMPANY_NUMBER, Body: 'On the 3rd and the 4th', MessageSid: sid })).status).toBe(200);
    expect(await agentsNow()).toEqual(before);
    const [{ n } = { n: -1 }] = await bed.sb.database.sql<{ n: number }[]>`select count(*)::int as n from messages where interaction_id = ${id} and direction = 'in'`;
    expect(n).toBe(2);

    await alice.post(`/api/interactions/${id}/done`);
    await alice.post(`/api/interactions/${id}/wrap-up`, { disposition: 'resolved' });
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    await events.close();
  });

  it('routes a customer who writes again to the agent who last handled them', async () => {
    const customer = '+14155550202';
    const alice = client(bed.sb.url, TOKENS.alice);
    const bob = client(bed.sb.url, TOKENS.bob);
    const bobEvents = await openEventStream(`${bed.sb.url}/api/me/events`, TOKENS.bob);
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    await bob.put('/api/me/status', { status: 'available' });

    expect((await text(customer, 'A question about my invoice')).status).toBe(200);
    const first = await bobEvents.next('offer');
    const firstId = String(first.data.interactionId);
    await bob.post(`/api/interactions/${firstId}/accept`);
    await bob.post(`/api/interactions/${firstId}/done`);
    await bob.post(`/api/interactions/${firstId}/wrap-up`, { disposition: 'resolved' });

    // Alice is the better at billing, but the category routes replies to the last agent: Bob.
    await alice.put('/api/me/status', { status: 'available' });
    expect((await text(customer, 'And now I need a refund')).status).toBe(200);
    const again = await bobEvents.next('offer', (e) => e.data.interactionId !== firstId);
    const view = await bob.get<InteractionView>(`/api/interactions/${String(again.data.interactionId)}`);
    expect(view.body).toMatchObject({ state: 'offered', agentId: 'bob', targetAgentId: 'bob', category: 'billing' });
    expect(view.body.messages.filter((m) => m.direction === 'in').map((m) => m.body)).toEqual(['And now I need a refund']);
    await bob.post(`/api/interactions/${String(again.data.interactionId)}/decline`);
    await bobEvents.close();
  });

  it('starts a new interaction when the open one closes while the message is being taken', async () => {
    const customer = '+14155550203';
    const { alice, events, id: firstId } = await aliceTakes(customer, 'First question');
    await alice.post(`/api/interactions/${firstId}/done`);
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });

    // Hold the interaction's row while the message arrives, then wrap it up: the webhook has read it as
    // open (wrap-up) and waits for the row; when it gets it, the interaction is closed.
    const sql = bed.sb.database.sql;
    let arrival: Promise<{ status: number }> | undefined;
    await bed.sb.engine.transaction(async (tx, outbox, now) => {
      await tx`select 1 from interactions where id = ${firstId} for update`;
      arrival = text(customer, 'One more thing');
      await expect.poll(async () => (await sql`select 1 from pg_locks where locktype = 'transactionid' and not granted`).length, { timeout: 10_000, interval: 20 }).toBeGreaterThan(0);
      const closed = await applyInteractionEvent(tx, firstId, { type: 'WRAP_UP', agentId: 'alice', disposition: 'resolved' }, 'test', now, outbox);
      expect(closed.after.state).toBe('closed');
    });
    expect((await arrival)?.status).toBe(200);

    const rows = await sql<{ id: string; state: string; bodies: string[] }[]>`
      select i.id, i.state, array_agg(m.body order by m.created_at) filter (where m.direction = 'in') as bodies
      from interactions i join messages m on m.interaction_id = i.id
      where i.from_address = ${customer} group by i.id, i.state, i.created_at order by i.created_at`;
    expect(rows.map((r) => [r.id === firstId, r.state, r.bodies])).toEqual([
      [true, 'closed', ['First question']],
      // Offered in its intake to Bob, available since an earlier case.
      [false, 'offered', ['One more thing']],
    ]);
    await events.close();
  });

  it('waits as long as the provider asks (Retry-After) before sending a refused reply again', async () => {
    const { alice, events, id } = await aliceTakes('+14155550204', 'Can you call me back?');
    // Without Retry-After the first retry comes after a second; the provider asks for three.
    bed.twilio.failNext(1, 429, { retryAfter: '3', message: 'Too Many Requests' });
    const started = Date.now();
    const replied = await alice.post<{ messageId: string }>(`/api/interactions/${id}/reply`, { body: 'Calling you in five minutes.' });
    expect(replied.status).toBe(201);
    await expect.poll(() => bed.twilio.accepted.filter((a) => a.idempotencyToken === replied.body.messageId).length, { timeout: 15_000, interval: 100 }).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    await alice.post(`/api/interactions/${id}/done`);
    await alice.post(`/api/interactions/${id}/wrap-up`, { disposition: 'resolved' });
    await alice.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    await events.close();
  });
});
