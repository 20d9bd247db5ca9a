// Signature of Switchboard's generic JSON webhooks, in both directions:
//
//   X-Switchboard-Timestamp: <unix time in whole seconds>
//   X-Switchboard-Signature: sha256=<lowercase hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>
//
// The timestamp is signed with the body, and a receiver refuses timestamps further than the tolerance
// (default 300 s) from its own clock in either direction, so a captured request cannot be replayed
// later. Within the window a receiver should still deduplicate on the payload's own event id.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Switchboard-Signature';
export const TIMESTAMP_HEADER = 'X-Switchboard-Timestamp';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookSignatureCheck =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

const SIGNATURE_FORMAT = /^sha256=([0-9a-f]{64})$/i;
const TIMESTAMP_FORMAT = /^\d{1,12}$/;

function hmac(secret: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest();
}

/** The two headers to send with `body` (the exact bytes or string that go on the wire). */
export function signWebhook(input: {
  secret: string;
  body: string | Uint8Array;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
}): Record<typeof SIGNATURE_HEADER | typeof TIMESTAMP_HEADER, string> {
  if (input.secret === '') throw new RangeError('The webhook secret must not be empty');
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`Invalid timestamp: ${timestamp}`);
  return {
    [SIGNATURE_HEADER]: `sha256=${hmac(input.secret, timestamp, input.body).toString('hex')}`,
    [TIMESTAMP_HEADER]: String(timestamp),
  };
}

/**
 * Checks the headers against the raw body, in constant time. `secret` may list several secrets
 * (during a rotation); any of them may have signed. `now` is in milliseconds, for tests.
 */
export function verifyWebhookSignature(input: {
  secret: string | readonly string[];
  body: string | Uint8Array;
  signature: string | undefined;
  timestamp: string | undefined;
  toleranceSeconds?: number;
  now?: number;
}): WebhookSignatureCheck {
  if (!input.signature || !input.timestamp) return { ok: false, reason: 'missing' };
  const signature = SIGNATURE_FORMAT.exec(input.signature.trim());
  const timestampText = input.timestamp.trim();
  if (signature === null || !TIMESTAMP_FORMAT.test(timestampText)) return { ok: false, reason: 'malformed' };
  const timestamp = Number(timestampText);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = (input.now ?? Date.now()) / 1000;
  if (Math.abs(nowSeconds - timestamp) > tolerance) return { ok: false, reason: 'stale' };
  const received = Buffer.from(signature[1] ?? '', 'hex');
  const secrets = (typeof input.secret === 'string' ? [input.secret] : input.secret).filter((secret) => secret !== '');
  let matched = false;
  for (const secret of secrets) {
    if (timingSafeEqual(hmac(secret, timestamp, input.body), received)) matched = true;
  }
  return matched ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
