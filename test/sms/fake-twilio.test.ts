// The fake Twilio itself: its Messages API answers, and its carrier-side webhooks arriving signed at a
// receiver that checks them with verifyTwilioSignature, as Switchboard's SMS webhook will.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFormParams } from '../../src/channels/sms/form-params.ts';
import type { FormParams } from '../../src/channels/sms/form-params.ts';
import { verifyTwilioSignature } from '../../src/channels/sms/twilio-signature.ts';
import { FakeTwilio } from '../support/fake-twilio.ts';

let twilio: FakeTwilio;

beforeAll(async () => {
  twilio = await FakeTwilio.start({ accountSid: 'AC00000000000000000000000000000001', authToken: 'fake-token' });
});

afterAll(async () => {
  await twilio.close();
});

function post(path: string, form: string, auth?: string): Promise<Response> {
  return fetch(`${twilio.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}) },
    body: form,
  });
}

const messagesPath = '/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json';
const credentials = 'AC00000000000000000000000000000001:fake-token';

describe('FakeTwilio Messages API', () => {
  it('answers 201 with a Twilio-shaped message', async () => {
    const response = await post(messagesPath, 'To=%2B14155552671&From=%2B15005550006&Body=hi+there', credentials);
    expect(response.status).toBe(201);
    const message = (await response.json()) as Record<string, unknown>;
    expect(message).toMatchObject({
      account_sid: 'AC00000000000000000000000000000001',
      api_version: '2010-04-01',
      to: '+14155552671',
      from: '+15005550006',
      body: 'hi there',
      status: 'queued',
      direction: 'outbound-api',
      num_segments: '1',
      num_media: '0',
      error_code: null,
    });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.date_created).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(message.uri).toBe(`/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages/${String(message.sid)}.json`);
  });

  it('answers 401 without or with wrong credentials, and for another account', async () => {
    expect((await post(messagesPath, 'To=%2B14155552671&From=%2B1500&Body=x')).status).toBe(401);
    expect((await post(messagesPath, 'To=%2B14155552671&From=%2B1500&Body=x', 'AC00000000000000000000000000000001:nope')).status).toBe(401);
    const other = messagesPath.replace('0001', '0002');
    const response = await post(other, 'To=%2B14155552671&From=%2B1500&Body=x', credentials);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 20003, status: 401 });
  });

  it('answers 404 for other paths', async () => {
    expect((await post('/2010-04-01/Accounts/AC1/Calls.json', '', credentials)).status).toBe(404);
  });

  it('answers 400 with Twilio error codes for missing fields', async () => {
    const cases: [string, number][] = [
      ['From=%2B15005550006&Body=x', 21604],
      ['To=%2B14155552671&Body=x', 21603],
      ['To=%2B14155552671&From=%2B15005550006', 21602],
      [`To=%2B14155552671&From=%2B15005550006&Body=${'x'.repeat(1601)}`, 21617],
    ];
    for (const [form, code] of cases) {
      const response = await post(messagesPath, form, credentials);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code, status: 400, more_info: `https://www.twilio.com/docs/errors/${code}` });
    }
  });

  it('fails the programmed number of requests, then recovers', async () => {
    twilio.failNext(2, 500);
    const form = 'To=%2B14155552671&From=%2B15005550006&Body=x';
    expect((await post(messagesPath, form, credentials)).status).toBe(500);
    expect((await post(messagesPath, form, credentials)).status).toBe(500);
    expect((await post(messagesPath, form, credentials)).status).toBe(201);
  });
});

describe('FakeTwilio webhooks towards Switchboard', () => {
  let receiver: Server;
  let receiverUrl: string;
  const received: { path: string; params: FormParams; check: ReturnType<typeof verifyTwilioSignature>; headers: IncomingMessage['headers'] }[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const params = parseFormParams(Buffer.concat(chunks).toString('utf8'));
        const check = verifyTwilioSignature({
          authToken: twilio.authToken,
          url: `${receiverUrl}${request.url ?? ''}`,
          params,
          signature: request.headers['x-twilio-signature'] as string | undefined,
        });
        received.push({ path: request.url ?? '', params, check, headers: request.headers });
        response.writeHead(check.ok ? 200 : 403, { 'Content-Type': 'text/xml' }).end('<Response/>');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('delivers a signed inbound SMS with Twilio parameters', async () => {
    const response = await twilio.sendInbound(`${receiverUrl}/webhooks/sms?tenant=a`, { From: '+14155552671', To: '+15005550006', Body: 'Hello ✓' });
    expect(response.status).toBe(200);
    const last = received.at(-1);
    expect(last?.check).toEqual({ ok: true });
    expect(last?.path).toBe('/webhooks/sms?tenant=a');
    expect(last?.params).toMatchObject({
      From: '+14155552671',
      To: '+15005550006',
      Body: 'Hello ✓',
      AccountSid: twilio.accountSid,
      NumMedia: '0',
      NumSegments: '1',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
    });
    expect(last?.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(last?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(last?.headers['i-twilio-idempotency-token']).toBeTruthy();
  });

  it('delivers an MMS with numbered media parameters', async () => {
    await twilio.sendInbound(`${receiverUrl}/webhooks/sms`, {
      From: '+14155552671',
      To: '+15005550006',
      Body: '',
      media: [
        { url: 'https://api.twilio.com/media/1', contentType: 'image/jpeg' },
        { url: 'https://api.twilio.com/media/2', contentType: 'application/pdf' },
      ],
    });
    const last = received.at(-1);
    expect(last?.check).toEqual({ ok: true });
    expect(last?.params).toMatchObject({
      NumMedia: '2',
      MediaUrl0: 'https://api.twilio.com/media/1',
      MediaContentType0: 'image/jpeg',
      MediaUrl1: 'https://api.twilio.com/media/2',
      MediaContentType1: 'application/pdf',
    });
    expect(last?.params.MessageSid).toMatch(/^MM/);
  });

  it('delivers a signed status callback with an error code', async () => {
    const response = await twilio.sendStatusCallback(`${receiverUrl}/webhooks/sms/status`, {
      MessageSid: 'SM0123456789abcdef0123456789abcdef',
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
    });
    expect(response.status).toBe(200);
    expect(received.at(-1)?.params).toMatchObject({
      MessageSid: 'SM0123456789abcdef0123456789abcdef',
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
      AccountSid: twilio.accountSid,
    });
  });

  it('signs with the token it is given, so a wrong token is caught by the receiver', async () => {
    const response = await twilio.sendInbound(`${receiverUrl}/webhooks/sms`, { From: '+14155552671', To: '+15005550006', Body: 'x' }, 'other-token');
    expect(response.status).toBe(403);
    expect(received.at(-1)?.check).toEqual({ ok: false, reason: 'mismatch' });
  });
});
