/**
 * A generic (non-Twilio) aggregator end to end over real HTTP: inbound JSON signed with HMAC-SHA256,
 * the agent's reply posted to the aggregator as signed JSON with an idempotency key (retried after a
 * 503), and the delivery report coming back signed. The local server here plays the aggregator.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook, verifyWebhookSignature } from '../../src/channels/sms/hmac-signature.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { TOKENS, startSmsTestBed, type SmsTestBed } from '../support/sms.ts';

const SECRET = 'aggregator-secret-0123456789';
const NUMBER = '+14155550177';

interface Received {
  headers: IncomingMessage['headers'];
  signatureOk: boolean;
  json: { id: string; from: string; to: string; body: string; statusCallback?: string };
}

let aggregator: Server;
let bed: SmsTestBed;
const received: Received[] = [];
let failures = 0;

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

beforeAll(async () => {
  aggregator = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (request.url !== '/api/messages' || request.method !== 'POST') return response.writeHead(404).end();
      if (failures > 0) {
        failures -= 1;
        return response.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"busy"}');
      }
      const signatureOk = verifyWebhookSignature({ secret: SECRET, body, signature: header(request, SIGNATURE_HEADER), timestamp: header(request, TIMESTAMP_HEADER) }).ok;
      const json = JSON.parse(body) as Received['json'];
      const known = received.findIndex((r) => r.headers['idempotency-key'] === header(request, 'idempotency-key'));
      if (known < 0) received.push({ headers: request.headers, signatureOk, json });
      const index = known < 0 ? received.length - 1 : known;
      response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `agg-out-${index}`, status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => aggregator.listen(0, '127.0.0.1', resolve));
  const { port } = aggregator.address() as AddressInfo;
  bed = await startSmsTestBed((base, baseUrl) => ({
    ...base,
    smsProviders: [
      ...(base.smsProviders ?? []),
      { id: 'agg', type: 'generic', authToken: SECRET, baseUrl: `http://127.0.0.1:${port}/api`, webhookBaseUrl: baseUrl },
    ],
    smsNumbers: [...(base.smsNumbers ?? []), { number: NUMBER, kind: 'long', provider: 'agg' }],
  }));
});
afterAll(async () => {
  await bed?.stop();
  await new Promise<void>((resolve) => aggregator?.close(() => resolve()));
});

async function postSigned(url: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook({ secret: SECRET, body }) }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('a generic SMS aggregator', () => {
  it('delivers inbound to an agent, takes the reply (retried after a 503), and reports delivery', async () => {
    const alice = client(bed.sb.url, TOKENS.alice);
    const events = await openEventStream(`${bed.sb.url}/api/me/events`, TOKENS.alice);
    await alice.put('/api/me/status', { status: 'available' });

    const inbound = await postSigned(bed.inboundUrl('agg'), { id: 'in-1', from: '+14155550401', to: NUMBER, body: 'Hello from another network' });
    expect(inbound).toMatchObject({ status: 200, json: { status: 'accepted', conversation: 'new' } });
    const id = String(inbound.json.interactionId);
    await events.next('offer', (e) => e.data.interactionId === id);
    await alice.post(`/api/interactions/${id}/accept`);

    failures = 1;
    const replied = await alice.post<{ messageId: string }>(`/api/interactions/${id}/reply`, { body: 'Hi! How can we help?' });
    expect(replied.status).toBe(201);
    const messageId = replied.body.messageId;
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(1);
    expect(failures).toBe(0); // the first attempt met the 503
    const sent = received[0];
    expect(sent?.signatureOk).toBe(true);
    expect(sent?.headers['idempotency-key']).toBe(messageId);
    expect(sent?.json).toEqual({
      id: messageId,
      from: NUMBER,
      to: '+14155550401',
      body: 'Hi! How can we help?',
      statusCallback: `${bed.sb.url}/webhooks/sms/agg/status?messageId=${messageId}`,
    });

    await expect
      .poll(async () => (await bed.sb.database.sql<{ status: string }[]>`select status from messages where id = ${messageId}`)[0]?.status, { timeout: 10_000 })
      .toBe('sent');
    const report = await postSigned(sent?.json.statusCallback ?? '', { id: 'agg-out-0', status: 'delivered' });
    expect(report).toEqual({ status: 200, json: { status: 'recorded', messageStatus: 'delivered' } });
    const status = await events.next('message_status', (e) => e.data.messageId === messageId);
    expect(status.data).toMatchObject({ status: 'delivered', providerStatus: 'delivered' });

    await alice.post(`/api/interactions/${id}/done`);
    await alice.post(`/api/interactions/${id}/wrap-up`, { disposition: 'resolved' });
    await events.close();
  });
});
