import { describe, expect, it } from 'vitest';
import { findReferenceToken, formatReferenceToken, replySubject } from '../../src/channels/email/reference-token.ts';

describe('formatReferenceToken', () => {
  it('formats positive integers', () => {
    expect(formatReferenceToken(1042)).toBe('[SB#1042]');
    expect(formatReferenceToken(1)).toBe('[SB#1]');
  });

  it.each([0, -3, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60])('rejects %s with a typed error', (n) => {
    expect(() => formatReferenceToken(n)).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE_NUMBER' }));
  });
});

describe('findReferenceToken', () => {
  it.each([
    ['Re: [SB#1042] Where is my order?', 1042],
    ['Where is my order? [SB#7]', 7],
    ['AW: [sb#55] Rechnung', 55],
    ['Fwd: Re: [SB#12] first [SB#34] second', 12],
  ])('finds the token in %j', (subject, expected) => {
    expect(findReferenceToken(subject)).toBe(expected);
  });

  it.each([
    '',
    'No token here',
    '[SB#] empty',
    '[SB#0] zero',
    '[SB#012] leading zero',
    '[SB #12] space',
    'SB#12 without brackets',
    '[SB#-4] negative',
    '[SB#12345678901234567890] too long',
  ])('finds nothing in %j', (subject) => {
    expect(findReferenceToken(subject)).toBeNull();
  });

  it('tolerates missing subjects', () => {
    expect(findReferenceToken(undefined)).toBeNull();
    expect(findReferenceToken(null)).toBeNull();
  });
});

describe('replySubject', () => {
  it.each([
    ['Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['Re: Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['RE: RE: Re: Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['AW: Re: SV: VS: Antw: Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['Re[2]: Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['RE : Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['回复：Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['Re: [SB#1042] Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['Re: Where is my order? [SB#1042]', 'Re: [SB#1042] Where is my order?'],
    ['AW: [SB#1042] AW: Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['Re: [SB#999] Where is my order?', 'Re: [SB#1042] Where is my order?'],
    ['Fwd: Where is my order?', 'Re: [SB#1042] Fwd: Where is my order?'],
    ['Reservation for two', 'Re: [SB#1042] Reservation for two'],
    ['', 'Re: [SB#1042]'],
    ['   ', 'Re: [SB#1042]'],
  ])('%j becomes %j', (subject, expected) => {
    expect(replySubject(subject, 1042)).toBe(expected);
  });

  it('is stable when applied to its own output', () => {
    const once = replySubject('AW: Frage zur Rechnung', 5);
    expect(replySubject(once, 5)).toBe(once);
  });

  it('rejects an invalid reference number', () => {
    expect(() => replySubject('x', 0)).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE_NUMBER' }));
  });
});
