// Twilio's webhook signature, `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, data)) where data is
// the full URL Twilio requested (scheme, host, path and query string) followed by every POST parameter's
// name and value, in parameter-name order, with no separators. A repeated parameter contributes each of
// its distinct values, sorted, as twilio-node does.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

/** Decoded form parameters; a parameter sent several times has an array of values. */
export type TwilioParams = Readonly<Record<string, string | readonly string[]>>;

export type TwilioSignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'mismatch' };

/** The string Twilio signs for this URL and these parameters. */
export function twilioSignedData(url: string, params: TwilioParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    const values = typeof value === 'string' ? [value] : [...new Set(value)].sort();
    for (const item of values) data += name + item;
  }
  return data;
}

/** The `X-Twilio-Signature` value Twilio sends for this request, signing `url` exactly as given. */
export function computeTwilioSignature(authToken: string, url: string, params: TwilioParams): string {
  return createHmac('sha1', authToken).update(twilioSignedData(url, params), 'utf8').digest('base64');
}

/**
 * Checks a request's `X-Twilio-Signature` in constant time. `url` must be the public URL configured in
 * Twilio (as Twilio called it, not as a proxy rewrote it). Like twilio-node, the URL is also tried with
 * its port removed and with the scheme's default port added, and in WHATWG-normalized form (which
 * percent-encodes characters such as `'`), since Twilio is not consistent about either.
 */
export function verifyTwilioSignature(input: {
  authToken: string;
  url: string;
  params: TwilioParams;
  signature: string | undefined;
}): TwilioSignatureCheck {
  if (input.signature === undefined || input.signature === '') return { ok: false, reason: 'missing' };
  const received = Buffer.from(input.signature, 'utf8');
  // Each variant is compared in constant time; the first that matches ends the search (which variant
  // Twilio signed is no secret), so a request signed as configured costs one HMAC.
  for (const url of urlVariants(input.url)) {
    const expected = Buffer.from(computeTwilioSignature(input.authToken, url, input.params), 'utf8');
    if (expected.length === received.length && timingSafeEqual(expected, received)) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}

/** The URL as given first, then its other forms (worked out only when the first did not match), each once. */
function* urlVariants(url: string): Generator<string> {
  yield url;
  const tried = new Set([url]);
  for (const candidate of otherForms(url)) {
    if (tried.has(candidate)) continue;
    tried.add(candidate);
    yield candidate;
  }
}

function* otherForms(url: string): Generator<string> {
  yield* togglePort(url);
  let normalized: string;
  try {
    normalized = new URL(url).toString();
  } catch {
    return;
  }
  yield normalized;
  yield* togglePort(normalized);
}

// The same URL with its explicit port removed, or with the default port added when it has none.
// Works on the text, so the rest of the URL keeps its exact encoding.
function togglePort(url: string): string[] {
  const match = /^(https?:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (match === null) return [];
  const [, scheme = '', authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const port = /:(\d*)$/.exec(hostPort);
  if (port !== null) return [scheme + userinfo + hostPort.slice(0, port.index) + rest];
  const defaultPort = scheme.toLowerCase() === 'https://' ? 443 : 80;
  return [`${scheme}${userinfo}${hostPort}:${defaultPort}${rest}`];
}
