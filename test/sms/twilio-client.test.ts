import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter, sendTwilioMessage } from '../../src/channels/sms/twilio-client.ts';
import type { SendTwilioMessageInput } from '../../src/channels/sms/twilio-client.ts';
import {
  SmsChannelError,
  SmsProviderBadResponseError,
  SmsProviderRejectedError,
  SmsProviderRetryableError,
} from '../../src/channels/sms/errors.ts';
import { FakeTwilio } from '../support/fake-twilio.ts';

let twilio: FakeTwilio;
let keyCounter = 0;

beforeAll(async () => {
  twilio = await FakeTwilio.start();
});

afterAll(async () => {
  await twilio.close();
});

function input(overrides: Partial<SendTwilioMessageInput> = {}): SendTwilioMessageInput {
  keyCounter += 1;
  return {
    baseUrl: twilio.url,
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    from: '+15005550006',
    to: '+14155552671',
    body: 'Your ticket 42 was updated',
    idempotencyKey: `outbound-${keyCounter}`,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the send to fail');
}

describe('sendTwilioMessage against the fake Twilio', () => {
  it('sends the form fields with Basic auth and returns sid and status', async () => {
    const before = twilio.messages.length;
    const sent = await sendTwilioMessage(input({ statusCallback: 'https://switchboard.example/sms/status' }));
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
    expect(twilio.messages).toHaveLength(before + 1);
    const accepted = twilio.accepted.at(-1);
    expect(accepted?.message).toMatchObject({
      sid: sent.sid,
      to: '+14155552671',
      from: '+15005550006',
      body: 'Your ticket 42 was updated',
      num_segments: '1',
      status: 'queued',
    });
    expect(accepted?.statusCallback).toBe('https://switchboard.example/sms/status');
    expect(accepted?.idempotencyToken).toBe(`outbound-${keyCounter}`);
  });

  it('sends unicode and long bodies intact', async () => {
    const body = `Привет 👋 ${'x'.repeat(200)} & = + %`;
    const sent = await sendTwilioMessage(input({ body }));
    const message = twilio.messages.find((m) => m.sid === sent.sid);
    expect(message?.body).toBe(body);
    expect(message?.num_segments).toBe('4');
  });

  it('accepts a base URL with a trailing slash', async () => {
    await expect(sendTwilioMessage(input({ baseUrl: `${twilio.url}/` }))).resolves.toMatchObject({ status: 'queued' });
  });

  it('does not record a second message when the idempotency token is replayed', async () => {
    const first = await sendTwilioMessage(input({ idempotencyKey: 'same-key' }));
    const count = twilio.messages.length;
    const requests = twilio.requestCount;
    const second = await sendTwilioMessage(input({ idempotencyKey: 'same-key' }));
    expect(second).toEqual(first);
    expect(twilio.messages).toHaveLength(count);
    expect(twilio.requestCount).toBe(requests + 1);
  });

  it('throws a retryable error on 500; the retry with the same key then succeeds once', async () => {
    const count = twilio.messages.length;
    twilio.failNext(1, 500);
    const request = input();
    const error = await failure(sendTwilioMessage(request));
    expect(error).toBeInstanceOf(SmsProviderRetryableError);
    expect(error).toBeInstanceOf(SmsChannelError);
    expect(error).toMatchObject({ code: 'SMS_PROVIDER_UNAVAILABLE', retryable: true, status: 500, retryAfterMs: undefined });
    expect(twilio.messages).toHaveLength(count);

    const sent = await sendTwilioMessage(request);
    expect(sent.status).toBe('queued');
    expect(twilio.messages).toHaveLength(count + 1);
  });

  it('throws a retryable error carrying Retry-After on 429', async () => {
    twilio.failNext(1, 429, { retryAfter: '7', message: 'Too Many Requests' });
    const error = await failure(sendTwilioMessage(input()));
    expect(error).toBeInstanceOf(SmsProviderRetryableError);
    expect(error).toMatchObject({ code: 'SMS_PROVIDER_UNAVAILABLE', status: 429, retryAfterMs: 7000 });
  });

  it('treats 503 as retryable too', async () => {
    twilio.failNext(2, 503);
    await expect(sendTwilioMessage(input())).rejects.toBeInstanceOf(SmsProviderRetryableError);
    await expect(sendTwilioMessage(input())).rejects.toBeInstanceOf(SmsProviderRetryableError);
    await expect(sendTwilioMessage(input())).resolves.toMatchObject({ status: 'queued' });
  });

  it("throws a non-retryable error with Twilio's code and message on 400", async () => {
    const error = await failure(sendTwilioMessage(input({ to: '+1415' })));
    expect(error).toBeInstanceOf(SmsProviderRejectedError);
    expect(error).toMatchObject({
      code: 'SMS_PROVIDER_REJECTED',
      retryable: false,
      status: 400,
      providerCode: 21211,
      providerMessage: "The 'To' number +1415 is not a valid phone number.",
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
    });
  });

  it('throws a non-retryable error on bad credentials', async () => {
    const error = await failure(sendTwilioMessage(input({ authToken: 'wrong' })));
    expect(error).toMatchObject({ code: 'SMS_PROVIDER_REJECTED', status: 401, providerCode: 20003, retryable: false });
  });

  it('refuses an empty idempotency key', async () => {
    await expect(sendTwilioMessage(input({ idempotencyKey: '' }))).rejects.toThrow(RangeError);
  });
});

describe('sendTwilioMessage against misbehaving servers', () => {
  let server: ReturnType<typeof createServer>;
  let baseUrl: string;
  let reply: (response: ServerResponse) => void = () => {};

  beforeAll(async () => {
    server = createServer((_request, response) => reply(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('times out as a retryable error', async () => {
    reply = () => {}; // never answers
    const error = await failure(sendTwilioMessage(input({ baseUrl, timeoutMs: 200 })));
    expect(error).toBeInstanceOf(SmsProviderRetryableError);
    expect((error as Error).message).toContain('200 ms');
  });

  it('reports an unreachable server as a retryable error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(sendTwilioMessage(input({ baseUrl: `http://127.0.0.1:${port}` })));
    expect(error).toMatchObject({ code: 'SMS_PROVIDER_UNAVAILABLE', retryable: true, status: undefined });
  });

  it('reports a success without a sid as a bad response, not retryable', async () => {
    reply = (response) => response.writeHead(201, { 'Content-Type': 'text/html' }).end('<html>ok</html>');
    const error = await failure(sendTwilioMessage(input({ baseUrl })));
    expect(error).toBeInstanceOf(SmsProviderBadResponseError);
    expect(error).toMatchObject({ code: 'SMS_PROVIDER_BAD_RESPONSE', retryable: false, status: 201 });
  });

  it('rejects a 4xx without a JSON body, keeping the status', async () => {
    reply = (response) => response.writeHead(404).end('not here');
    const error = await failure(sendTwilioMessage(input({ baseUrl })));
    expect(error).toMatchObject({ code: 'SMS_PROVIDER_REJECTED', status: 404, providerCode: undefined });
  });

  it('refuses an answer over 1 MiB as a retryable error', async () => {
    reply = (response) => response.writeHead(201, { 'Content-Type': 'application/json' }).end('x'.repeat(2 * 1024 * 1024));
    const error = await failure(sendTwilioMessage(input({ baseUrl })));
    expect(error).toMatchObject({ code: 'SMS_PROVIDER_UNAVAILABLE', retryable: true });
    expect((error as Error).message).toContain('more than 1048576 bytes');
  });

  it('takes a redirect as an answer, not somewhere to send the message again', async () => {
    reply = (response) => response.writeHead(302, { Location: `${twilio.url}/2010-04-01/Accounts/${twilio.accountSid}/Messages.json` }).end();
    const before = twilio.messages.length;
    const error = await failure(sendTwilioMessage(input({ baseUrl })));
    expect(error).toMatchObject({ code: 'SMS_PROVIDER_REJECTED', status: 302 });
    expect(twilio.messages.length).toBe(before);
  });

  it('sends one after another over one kept-alive connection', async () => {
    const sidOnly = createServer((_request, response) => response.writeHead(201, { 'Content-Type': 'application/json' }).end('{"sid":"SM1","status":"queued"}'));
    let connections = 0;
    sidOnly.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => sidOnly.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(sidOnly.address() as AddressInfo).port}`;
      for (let i = 0; i < 3; i++) expect(await sendTwilioMessage(input({ baseUrl: url }))).toEqual({ sid: 'SM1', status: 'queued' });
      expect(connections).toBe(1);
    } finally {
      sidOnly.closeAllConnections();
      await new Promise<void>((resolve) => sidOnly.close(() => resolve()));
    }
  });

  it('reads an HTTP-date Retry-After', async () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    reply = (response) => response.writeHead(503, { 'Retry-After': at }).end();
    const error = (await failure(sendTwilioMessage(input({ baseUrl })))) as SmsProviderRetryableError;
    expect(error.retryAfterMs).toBeGreaterThan(55_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');

  it.each([
    [null, undefined],
    ['0', 0],
    ['120', 120_000],
    [' 3 ', 3000],
    ['Tue, 01 Jan 2030 00:00:30 GMT', 30_000],
    ['Mon, 31 Dec 2029 23:59:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ])('%j → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
