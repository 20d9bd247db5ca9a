import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../src/channels/sms/hmac-signature.ts';

const secret = 'whsec-test-secret';
const body = '{"event":"message.delivered","id":"evt_1"}';
const timestamp = 1_700_000_000;
const now = timestamp * 1000;

function signed(overrides: { body?: string; timestamp?: number; secret?: string } = {}) {
  const headers = signWebhook({ secret: overrides.secret ?? secret, body: overrides.body ?? body, timestamp: overrides.timestamp ?? timestamp });
  return { signature: headers[SIGNATURE_HEADER], timestamp: headers[TIMESTAMP_HEADER] };
}

describe('signWebhook', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256 and sends hex with a sha256= prefix', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    expect(signWebhook({ secret, body, timestamp })).toEqual({
      'X-Switchboard-Signature': `sha256=${expected}`,
      'X-Switchboard-Timestamp': '1700000000',
    });
  });

  it('signs bytes and the equivalent string alike', () => {
    expect(signWebhook({ secret, body: Buffer.from(body), timestamp })).toEqual(signWebhook({ secret, body, timestamp }));
  });

  it('uses the current time by default', () => {
    const before = Math.floor(Date.now() / 1000);
    const sent = Number(signWebhook({ secret, body })[TIMESTAMP_HEADER]);
    expect(sent).toBeGreaterThanOrEqual(before);
    expect(sent).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('refuses an empty secret', () => {
    expect(() => signWebhook({ secret: '', body })).toThrow(RangeError);
  });
});

describe('verifyWebhookSignature', () => {
  it('accepts a valid signature', () => {
    expect(verifyWebhookSignature({ secret, body, ...signed(), now })).toEqual({ ok: true, timestamp });
  });

  it('accepts the raw body as bytes', () => {
    expect(verifyWebhookSignature({ secret, body: Buffer.from(body), ...signed(), now })).toMatchObject({ ok: true });
  });

  it('accepts an upper-case hex signature', () => {
    const { signature, timestamp: sent } = signed();
    expect(verifyWebhookSignature({ secret, body, signature: signature.toUpperCase().replace('SHA256=', 'sha256='), timestamp: sent, now })).toMatchObject({
      ok: true,
    });
  });

  it('rejects a tampered body', () => {
    expect(verifyWebhookSignature({ secret, body: body.replace('evt_1', 'evt_2'), ...signed(), now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a timestamp changed after signing', () => {
    const { signature } = signed();
    expect(verifyWebhookSignature({ secret, body, signature, timestamp: String(timestamp + 1), now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects the wrong secret', () => {
    expect(verifyWebhookSignature({ secret: 'other', body, ...signed(), now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accepts any of several secrets during a rotation', () => {
    expect(verifyWebhookSignature({ secret: ['new-secret', secret], body, ...signed(), now })).toMatchObject({ ok: true });
    expect(verifyWebhookSignature({ secret: [], body, ...signed(), now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a stale timestamp, and one too far in the future', () => {
    const tolerance = DEFAULT_TOLERANCE_SECONDS;
    expect(verifyWebhookSignature({ secret, body, ...signed(), now: now + tolerance * 1000 })).toMatchObject({ ok: true });
    expect(verifyWebhookSignature({ secret, body, ...signed(), now: now + (tolerance + 1) * 1000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyWebhookSignature({ secret, body, ...signed(), now: now - (tolerance + 1) * 1000 })).toEqual({ ok: false, reason: 'stale' });
  });

  it('honours a custom tolerance', () => {
    expect(verifyWebhookSignature({ secret, body, ...signed(), now: now + 31_000, toleranceSeconds: 30 })).toEqual({ ok: false, reason: 'stale' });
  });

  it('rejects missing headers', () => {
    const { signature, timestamp: sent } = signed();
    expect(verifyWebhookSignature({ secret, body, signature: undefined, timestamp: sent, now })).toEqual({ ok: false, reason: 'missing' });
    expect(verifyWebhookSignature({ secret, body, signature, timestamp: undefined, now })).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['no prefix', (s: string) => s.replace('sha256=', ''), undefined],
    ['another algorithm', (s: string) => s.replace('sha256=', 'sha1='), undefined],
    ['a short digest', (s: string) => s.slice(0, -2), undefined],
    ['non-hex digits', (s: string) => `${s.slice(0, -1)}z`, undefined],
    ['a non-numeric timestamp', (s: string) => s, 'yesterday'],
    ['a fractional timestamp', (s: string) => s, '1700000000.5'],
  ])('rejects a malformed header: %s', (_, alter, timestampHeader) => {
    const { signature, timestamp: sent } = signed();
    expect(verifyWebhookSignature({ secret, body, signature: alter(signature), timestamp: timestampHeader ?? sent, now })).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});
