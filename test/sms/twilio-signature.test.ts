import { describe, expect, it } from 'vitest';
import { computeTwilioSignature, twilioSignedData, verifyTwilioSignature } from '../../src/channels/sms/twilio-signature.ts';
import { parseFormParams } from '../../src/channels/sms/form-params.ts';

// Vectors from twilio-node's own test suite (spec/validation.spec.js): auth token "12345", the
// documentation's example URL and parameters, and the signatures Twilio's SDK must accept.
const token = '12345';
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const params = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const signature = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

describe('computeTwilioSignature', () => {
  it('signs the URL followed by each parameter name and value in name order', () => {
    expect(twilioSignedData(url, params)).toBe(
      'https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212',
    );
  });

  it('produces the published signature', () => {
    expect(computeTwilioSignature(token, url, params)).toBe(signature);
  });

  it('does not depend on the order parameters were given in', () => {
    const reversed = Object.fromEntries(Object.entries(params).reverse());
    expect(computeTwilioSignature(token, url, reversed)).toBe(signature);
  });

  it('signs the URL exactly as given (twilio-node vectors)', () => {
    expect(computeTwilioSignature(token, `${url}&Body=It's+amazing`, params)).toBe('dsq4Ehbj6cs+KdTkpF5sSSplOWw=');
    expect(computeTwilioSignature(token, 'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2', params)).toBe(
      'CukzLTc1tT5dXEDIHm/tKBanW10=',
    );
  });

  it('signs every distinct value of a repeated parameter, sorted (twilio-node vectors)', () => {
    const binding = { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx'] };
    expect(computeTwilioSignature(token, url, binding)).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
    const reordered = { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] };
    expect(computeTwilioSignature(token, url, reordered)).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
    const repeated = { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] };
    expect(computeTwilioSignature(token, url, repeated)).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
  });

  it('signs parameters parsed from a form body with repeated names the same way', () => {
    const form = parseFormParams('Sid=CA123&Digits=5678&SidAccount=AC123&Digits=1234&Digits=1234');
    expect(computeTwilioSignature(token, url, form)).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
  });
});

describe('verifyTwilioSignature', () => {
  const check = (overrides: Partial<Parameters<typeof verifyTwilioSignature>[0]>) =>
    verifyTwilioSignature({ authToken: token, url, params, signature, ...overrides });

  it('accepts the published signature', () => {
    expect(check({})).toEqual({ ok: true });
  });

  it('rejects a tampered parameter', () => {
    expect(check({ params: { ...params, Digits: '9999' } })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects an added parameter', () => {
    expect(check({ params: { ...params, Body: 'hi' } })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a different URL', () => {
    expect(check({ url: `${url}&somethingUnexpected=true` })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ url: url.replace('https:', 'http:') })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects the wrong auth token', () => {
    expect(check({ authToken: '54321' })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a missing or empty signature', () => {
    expect(check({ signature: undefined })).toEqual({ ok: false, reason: 'missing' });
    expect(check({ signature: '' })).toEqual({ ok: false, reason: 'missing' });
  });

  it('rejects a signature of the wrong length or garbage', () => {
    expect(check({ signature: 'WRONG_SIGNATURE' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ signature: `${signature}=` })).toEqual({ ok: false, reason: 'mismatch' });
  });

  // twilio-node: "validate https urls with ports by stripping them", "... without ports by adding
  // standard port 443", "http urls with ports", "http urls without ports by adding standard port 80".
  it('accepts a signature made without the port when the URL has one', () => {
    expect(check({ url: url.replace('.com', '.com:1234') })).toEqual({ ok: true });
  });

  it('accepts signatures made with an explicit port', () => {
    expect(check({ signature: 'kvajT1Ptam85bY51eRf/AJRuM3w=' })).toEqual({ ok: true });
    const http = url.replace('https', 'http');
    expect(check({ url: http, signature: '0ZXoZLH/DfblKGATFgpif+LLRf4=' })).toEqual({ ok: true });
    expect(check({ url: http.replace('.com', '.com:1234'), signature: 'Zmvh+3yNM1Phv2jhDCwEM3q5ebU=' })).toEqual({ ok: true });
  });

  it('accepts URLs with credentials, with or without the default port', () => {
    const withCredentials = 'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2';
    expect(check({ url: withCredentials, signature: 'CukzLTc1tT5dXEDIHm/tKBanW10=' })).toEqual({ ok: true });
    expect(check({ url: withCredentials, signature: 'ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=' })).toEqual({ ok: true });
    const userOnly = 'https://user@mycompany.com/myapp.php?foo=1&bar=2';
    expect(check({ url: userOnly, signature: '2YRLlVAflCqxaNicjMpJcSTgzSs=' })).toEqual({ ok: true });
  });

  it('accepts a quote in the query string escaped or not', () => {
    const raw = `${url}&Body=It's+amazing`;
    expect(check({ url: raw, signature: 'dsq4Ehbj6cs+KdTkpF5sSSplOWw=' })).toEqual({ ok: true });
    const signedEscaped = computeTwilioSignature(token, `${url}&Body=It%27s+amazing`, params);
    expect(check({ url: raw, signature: signedEscaped })).toEqual({ ok: true });
  });

  it('verifies repeated parameters', () => {
    const repeated = { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] };
    expect(check({ params: repeated, signature: 'IK+Dwps556ElfBT0I3Rgjkr1wJU=' })).toEqual({ ok: true });
    expect(check({ params: { ...repeated, Digits: ['5678'] }, signature: 'IK+Dwps556ElfBT0I3Rgjkr1wJU=' })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('does not throw on a URL it cannot parse', () => {
    expect(check({ url: 'not a url' })).toEqual({ ok: false, reason: 'mismatch' });
  });
});
