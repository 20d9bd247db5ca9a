/**
 * The inbound SMS webhook over real HTTP: a FakeTwilio (or a signed JSON client for the generic
 * provider) posts to a real Switchboard on its own database. Signed messages become interactions with
 * masked text; wrong or missing signatures, malformed or unknown input are refused with a clear status
 * and store nothing; a provider's retry creates nothing new.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFormParams } from '../../src/channels/sms/form-params.ts';
import { signWebhook } from '../../src/channels/sms/hmac-signature.ts';
import { computeTwilioSignature } from '../../src/channels/sms/twilio-signature.ts';
import { client } from '../support/http-client.ts';
import { twilioSid } from '../support/fake-twilio.ts';
import { COMPANY_NUMBER, CUSTOMER, TOKENS, startSmsTestBed, storedRows, type SmsTestBed } from '../support/sms.ts';

const EDGE_NUMBER = '+14155550111';
const GENERIC_NUMBER = '+14155550122';
const SHORT_CODE = '55555';
const GENERIC_SECRET = 'generic-secret-0123456789';
const ENV_NUMBER = '+14155550133';
const ENVLESS_NUMBER = '+14155550144';
const ENV_TOKEN = 'token-from-the-environment';

let bed: SmsTestBed;

beforeAll(async () => {
  process.env.SMS_TEST_TOKEN_SET = ENV_TOKEN;
  delete process.env.SMS_TEST_TOKEN_UNSET;
  bed = await startSmsTestBed((base) => ({
    ...base,
    smsProviders: [
      ...(base.smsProviders ?? []),
      // Same Twilio account, but behind a public URL: signatures are over https://sms.example.com/...
      { id: 'edge', type: 'twilio', accountSid: 'AC' + '0'.repeat(32), authToken: 'edge-token-0123456789', webhookBaseUrl: 'https://sms.example.com' },
      { id: 'aggregator', type: 'generic', authToken: GENERIC_SECRET, baseUrl: 'http://127.0.0.1:9' },
      // Auth tokens from the environment: one set (below), one missing.
      { id: 'fromenv', type: 'twilio', accountSid: 'AC' + '2'.repeat(32), authTokenEnv: 'SMS_TEST_TOKEN_SET', baseUrl: 'http://127.0.0.1:9' },
      { id: 'envless', type: 'twilio', accountSid: 'AC' + '3'.repeat(32), authTokenEnv: 'SMS_TEST_TOKEN_UNSET', baseUrl: 'http://127.0.0.1:9' },
    ],
    smsNumbers: [
      ...(base.smsNumbers ?? []),
      {
        number: '+1 415-555-0111',
        kind: 'long',
        provider: 'edge',
        category: 'billing',
        masking: { rules: [{ name: 'account', pattern: 'ACC-\\d{6,}', show: 'last4' }], keepOriginal: true },
      },
      { number: GENERIC_NUMBER, kind: 'long', provider: 'aggregator' },
      { number: SHORT_CODE, kind: 'short', provider: 'twilio', category: 'billing' },
      { number: ENV_NUMBER, kind: 'long', provider: 'fromenv' },
      { number: ENVLESS_NUMBER, kind: 'long', provider: 'envless' },
    ],
  }));
});
afterAll(async () => {
  await bed?.stop();
});

const FORM = 'application/x-www-form-urlencoded';

function inboundParams(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const sid = twilioSid('SM');
  const params: Record<string, string | undefined> = {
    MessageSid: sid,
    SmsSid: sid,
    AccountSid: bed.twilio.accountSid,
    From: CUSTOMER,
    To: COMPANY_NUMBER,
    Body: 'Hello there',
    NumMedia: '0',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Posts form parameters signed for `signUrl` (by default the URL posted to) with `token`. */
async function postSigned(url: string, params: Record<string, string>, options: { token?: string; signUrl?: string; signature?: string | null } = {}) {
  const signature = options.signature === undefined ? computeTwilioSignature(options.token ?? bed.twilio.authToken, options.signUrl ?? url, params) : options.signature;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': FORM, ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
    body: encodeFormParams(params),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) as { error: { code: string; message: string } } };
}

async function interactionOf(messageSid: string) {
  const [row] = await bed.sb.database.sql<{ interaction_id: string; message_id: string }[]>`
    select interaction_id, message_id from sms_inbound where provider_message_id = ${messageSid}`;
  if (!row) throw new Error(`no inbound row for ${messageSid}`);
  const admin = client(bed.sb.url, TOKENS.admin);
  const interaction = await admin.get<{ id: string; state: string; category: string; from: string; to: string; channel: string; discardReason: string | null; messages: { id: string; direction: string; body: string; status: string }[] }>(
    `/api/interactions/${row.interaction_id}`,
  );
  return { ...row, interaction: interaction.body };
}

describe('a signed inbound SMS', () => {
  it('is answered with empty TwiML and becomes a queued interaction, acknowledged with its reference', async () => {
    const params = inboundParams({ From: '+1 (415) 555-0199', Body: 'Hi, where is my parcel?' });
    const response = await bed.twilio.sendInbound(bed.inboundUrl(), { From: params.From ?? '', To: COMPANY_NUMBER, Body: params.Body ?? '', MessageSid: params.MessageSid });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(response.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');

    const { interaction } = await interactionOf(params.MessageSid ?? '');
    expect(interaction).toMatchObject({ channel: 'sms', state: 'queued', category: 'general', from: '+14155550199', to: COMPANY_NUMBER });
    expect(interaction.messages[0]).toMatchObject({ direction: 'in', body: 'Hi, where is my parcel?', status: 'received' });

    const [{ reference } = { reference: 0 }] = await bed.sb.database.sql<{ reference: number }[]>`select reference::int from interactions where id = ${interaction.id}`;
    await expect.poll(() => bed.twilio.messages.filter((m) => m.to === '+14155550199').map((m) => m.body), { timeout: 10_000 }).toEqual([
      `Thanks, we got your message. Reference ${reference}.`,
    ]);
    expect(bed.twilio.messages.find((m) => m.to === '+14155550199')?.from).toBe(COMPANY_NUMBER);
  });

  it('is stored masked; the original is kept only where the number says so', async () => {
    const plain = inboundParams({ From: '+14155550130', Body: 'My card 4111111111111234 was charged' });
    expect((await postSigned(bed.inboundUrl(), plain)).status).toBe(200);
    const first = await interactionOf(plain.MessageSid ?? '');
    expect(first.interaction.messages[0]?.body).toBe('My card ************1234 was charged');
    expect(await bed.sb.database.sql`select 1 from sms_originals where message_id = ${first.message_id}`).toHaveLength(0);

    const edgeUrl = bed.inboundUrl('edge');
    const kept = inboundParams({ From: '+14155550131', To: EDGE_NUMBER, Body: 'account ACC-99887766 please', AccountSid: 'AC' + '0'.repeat(32) });
    const response = await postSigned(edgeUrl, kept, { token: 'edge-token-0123456789', signUrl: 'https://sms.example.com/webhooks/sms/edge' });
    expect(response.status).toBe(200);
    const second = await interactionOf(kept.MessageSid ?? '');
    expect(second.interaction.messages[0]?.body).toBe('account ***-****7766 please');
    const [original] = await bed.sb.database.sql<{ body: string }[]>`select body from sms_originals where message_id = ${second.message_id}`;
    expect(original?.body).toBe('account ACC-99887766 please');
  });

  it("takes the number's category when no screening rule matched, and the rule's when one did", async () => {
    const plain = inboundParams({ From: '+14155550140', To: SHORT_CODE, Body: 'hello' });
    expect((await postSigned(bed.inboundUrl(), plain)).status).toBe(200);
    expect((await interactionOf(plain.MessageSid ?? '')).interaction.category).toBe('billing');

    const ruled = inboundParams({ From: '+14155550141', Body: 'about my refund' });
    expect((await postSigned(bed.inboundUrl(), ruled)).status).toBe(200);
    expect((await interactionOf(ruled.MessageSid ?? '')).interaction.category).toBe('billing');
  });

  it('from the same provider message id again (a retry) is answered 200 and creates nothing', async () => {
    const params = inboundParams({ From: '+14155550150', Body: 'only once please' });
    expect((await postSigned(bed.inboundUrl(), params)).status).toBe(200);
    const before = await storedRows(bed.sb.database.sql);
    const retries = await Promise.all([1, 2, 3, 4].map(() => postSigned(bed.inboundUrl(), params)));
    expect(retries.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(retries[0]?.text).toContain('<Response>');
    expect(await storedRows(bed.sb.database.sql)).toEqual(before);
  });

  it('arriving several times at once is stored once', async () => {
    const params = inboundParams({ From: '+14155550151', Body: 'racing copies' });
    const before = await storedRows(bed.sb.database.sql);
    const responses = await Promise.all([1, 2, 3, 4, 5].map(() => postSigned(bed.inboundUrl(), params)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const after = await storedRows(bed.sb.database.sql);
    expect(after.inbound - before.inbound).toBe(1);
    expect(after.interactions - before.interactions).toBe(1);
  });

  it('to a short code is received', async () => {
    const params = inboundParams({ From: '+14155550152', To: SHORT_CODE, Body: 'short code hello' });
    expect((await postSigned(bed.inboundUrl(), params)).status).toBe(200);
    expect((await interactionOf(params.MessageSid ?? '')).interaction.to).toBe(SHORT_CODE);
  });
});

describe('signatures', () => {
  const refusedWithNothingStored = async (send: () => Promise<{ status: number; json: () => { error: { code: string } } }>) => {
    const before = await storedRows(bed.sb.database.sql);
    const response = await send();
    expect(response.status).toBe(403);
    expect(response.json().error.code).toBe('INVALID_SIGNATURE');
    expect(await storedRows(bed.sb.database.sql)).toEqual(before);
  };

  it('refuses a missing signature', async () => {
    await refusedWithNothingStored(() => postSigned(bed.inboundUrl(), inboundParams(), { signature: null }));
  });

  it('refuses a signature made with another auth token', async () => {
    await refusedWithNothingStored(() => postSigned(bed.inboundUrl(), inboundParams(), { token: 'not-the-auth-token' }));
  });

  it('refuses a signature over other parameters (tampered body)', async () => {
    const params = inboundParams({ Body: 'original' });
    const signature = computeTwilioSignature(bed.twilio.authToken, bed.inboundUrl(), params);
    await refusedWithNothingStored(() => postSigned(bed.inboundUrl(), { ...params, Body: 'tampered' }, { signature }));
  });

  it('refuses a signature over another URL, and checks against webhookBaseUrl when configured', async () => {
    await refusedWithNothingStored(() => postSigned(bed.inboundUrl(), inboundParams(), { signUrl: `${bed.inboundUrl()}?x=1` }));
    const params = inboundParams({ To: EDGE_NUMBER, From: '+14155550160' });
    // Signed for the local URL, but Twilio calls (and signs) the public one.
    await refusedWithNothingStored(() => postSigned(bed.inboundUrl('edge'), params, { token: 'edge-token-0123456789' }));
  });

  it('refuses a status callback without a valid signature', async () => {
    await refusedWithNothingStored(() =>
      postSigned(bed.statusUrl(), { MessageSid: twilioSid('SM'), MessageStatus: 'delivered' }, { token: 'wrong-token-000000' }),
    );
  });
});

describe('bad input', () => {
  const refused = async (status: number, code: string, send: () => Promise<{ status: number; json: () => { error: { code: string; message: string } } }>) => {
    const before = await storedRows(bed.sb.database.sql);
    const response = await send();
    expect(response.status).toBe(status);
    const body = response.json();
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(await storedRows(bed.sb.database.sql)).toEqual(before);
    return body.error;
  };

  it('refuses missing fields with 400 naming them', async () => {
    const error = await refused(400, 'VALIDATION_FAILED', () => postSigned(bed.inboundUrl(), inboundParams({ From: undefined, Body: undefined })));
    expect(error.message).toContain('From is required');
    expect(error.message).toContain('Body is required');
    await refused(400, 'VALIDATION_FAILED', () => postSigned(bed.inboundUrl(), inboundParams({ MessageSid: undefined })));
    await refused(400, 'VALIDATION_FAILED', () => postSigned(bed.statusUrl(), { MessageSid: twilioSid('SM'), MessageStatus: 'exploded' }));
  });

  it('refuses an oversized request with 413 and an over-long text with 400', async () => {
    await refused(413, 'PAYLOAD_TOO_LARGE', () => postSigned(bed.inboundUrl(), inboundParams({ Body: 'x'.repeat(70_000) })));
    const error = await refused(400, 'VALIDATION_FAILED', () => postSigned(bed.inboundUrl(), inboundParams({ Body: 'y'.repeat(1601) })));
    expect(error.message).toContain('1600');
  });

  it('refuses a number that is not configured with 404 UNKNOWN_NUMBER', async () => {
    await refused(404, 'UNKNOWN_NUMBER', () => postSigned(bed.inboundUrl(), inboundParams({ To: '+14155550999' })));
    // A configured number of another provider is not this provider's.
    await refused(404, 'UNKNOWN_NUMBER', () => postSigned(bed.inboundUrl(), inboundParams({ To: GENERIC_NUMBER })));
  });

  it('refuses a malformed phone number with 400 INVALID_PHONE_NUMBER', async () => {
    const error = await refused(400, 'INVALID_PHONE_NUMBER', () => postSigned(bed.inboundUrl(), inboundParams({ From: '+1 555 12' })));
    expect(error.message).toMatch(/^From: /);
    await refused(400, 'INVALID_PHONE_NUMBER', () => postSigned(bed.inboundUrl(), inboundParams({ To: 'not a number' })));
  });

  it('refuses an unknown provider with 404 and a body that is not form-encoded with 415', async () => {
    await refused(404, 'UNKNOWN_SMS_PROVIDER', () => postSigned(`${bed.sb.url}/webhooks/sms/nobody`, inboundParams()));
    await refused(415, 'UNSUPPORTED_MEDIA_TYPE', async () => {
      const response = await fetch(bed.inboundUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inboundParams()) });
      const text = await response.text();
      return { status: response.status, json: () => JSON.parse(text) as { error: { code: string; message: string } } };
    });
  });
});

describe('the generic JSON webhook', () => {
  const postJson = async (payload: unknown, options: { secret?: string; timestamp?: number } = {}) => {
    const body = JSON.stringify(payload);
    const response = await fetch(bed.inboundUrl('aggregator'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook({ secret: options.secret ?? GENERIC_SECRET, body, timestamp: options.timestamp }) },
      body,
    });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) as { error: { code: string; message: string } } & Record<string, unknown> };
  };

  it('accepts a message signed with HMAC-SHA256, once', async () => {
    const payload = { id: 'agg-1', from: '+14155550170', to: GENERIC_NUMBER, body: 'hello via aggregator' };
    const first = await postJson(payload);
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({ status: 'accepted', conversation: 'new' });
    const again = await postJson(payload);
    expect(again.json()).toMatchObject({ status: 'duplicate' });
    const { interaction } = await interactionOf('agg-1');
    expect(interaction).toMatchObject({ from: '+14155550170', to: GENERIC_NUMBER, state: 'queued' });
  });

  it('refuses a wrong secret, a stale timestamp and a missing field', async () => {
    const before = await storedRows(bed.sb.database.sql);
    const payload = { id: 'agg-2', from: '+14155550171', to: GENERIC_NUMBER, body: 'x' };
    const wrong = await postJson(payload, { secret: 'another-secret-0000' });
    expect([wrong.status, wrong.json().error.code]).toEqual([403, 'INVALID_SIGNATURE']);
    const stale = await postJson(payload, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect([stale.status, stale.json().error.code]).toEqual([403, 'INVALID_SIGNATURE']);
    const missing = await postJson({ id: 'agg-3', from: '+14155550171', body: 'x' });
    expect([missing.status, missing.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(missing.json().error.message).toContain('to is required');
    expect(await storedRows(bed.sb.database.sql)).toEqual(before);
  });
});

describe('auth tokens from the environment', () => {
  it('verifies with the token the environment holds, and answers 503 while it holds none', async () => {
    const signed = inboundParams({ From: '+14155550180', To: ENV_NUMBER, AccountSid: 'AC' + '2'.repeat(32) });
    expect((await postSigned(bed.inboundUrl('fromenv'), signed, { token: ENV_TOKEN })).status).toBe(200);

    const before = await storedRows(bed.sb.database.sql);
    const unset = await postSigned(bed.inboundUrl('envless'), inboundParams({ To: ENVLESS_NUMBER }), { token: 'whatever-token' });
    expect([unset.status, unset.json().error.code]).toEqual([503, 'UNAVAILABLE']);
    expect(unset.json().error.message).toContain('SMS_TEST_TOKEN_UNSET');
    expect(await storedRows(bed.sb.database.sql)).toEqual(before);

    const health = await client(bed.sb.url).get<{ sms: { providers: { id: string; secret: boolean }[]; numbers: number } }>('/healthz');
    expect(health.body.sms.numbers).toBe(6);
    expect(health.body.sms.providers.filter((p) => !p.secret).map((p) => p.id)).toEqual(['envless']);
  });
});
