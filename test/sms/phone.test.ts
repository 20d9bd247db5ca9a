import { describe, expect, it } from 'vitest';
import { isNormalizedNumber, normalizeNumber, normalizePhone } from '../../src/channels/sms/phone.ts';
import { InvalidPhoneNumberError } from '../../src/channels/sms/errors.ts';

function invalidReason(run: () => unknown): InvalidPhoneNumberError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidPhoneNumberError) return error;
    throw error;
  }
  throw new Error('expected InvalidPhoneNumberError');
}

describe('normalizePhone', () => {
  it.each([
    ['+14155552671', undefined, '+14155552671'],
    ['+1 (415) 555-2671', undefined, '+14155552671'],
    ['  +1.415.555.2671  ', undefined, '+14155552671'],
    ['(415) 555-2671', 'US', '+14155552671'],
    ['415-555-2671', 'US', '+14155552671'],
    ['1 415 555 2671', 'US', '+14155552671'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+44 20 7946 0958', undefined, '+442079460958'],
    ['+44 (0)20 7946 0958', undefined, '+442079460958'],
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['00 44 20 7946 0958', 'FR', '+442079460958'],
    ['+49 30 123456', undefined, '+4930123456'],
    ['tel:+1-415-555-2671', undefined, '+14155552671'],
    ['+1 415 555 2671', 'GB', '+14155552671'],
  ] as const)('%j (default country %s) → %s', (input, country, expected) => {
    expect(normalizePhone(input, country)).toBe(expected);
  });

  it.each([
    ['', undefined],
    ['   ', undefined],
    ['hello', undefined],
    ['+1 12', undefined],
    ['+999 1234567', undefined],
    ['415 555 2671', undefined], // national format without a default country
    ['415555267', 'US'],
    ['+1 555 555 5555', undefined],
    ['call +14155552671 now', undefined],
    ['+1 415 555 2671 ext. 12', undefined],
    ['9'.repeat(80), undefined],
  ] as const)('refuses %j (default country %s) with INVALID_PHONE_NUMBER', (input, country) => {
    const error = invalidReason(() => normalizePhone(input, country));
    expect(error.code).toBe('INVALID_PHONE_NUMBER');
    expect(error.input).toBe(input);
    expect(error.retryable).toBe(false);
  });

  it('keeps the number out of the error message', () => {
    expect(invalidReason(() => normalizePhone('+1 415 555 2671 ext. 12')).message).not.toContain('415');
  });

  it('refuses an unknown default country as a programming error', () => {
    expect(() => normalizePhone('4155552671', 'XX' as never)).toThrow(RangeError);
  });
});

describe('normalizeNumber', () => {
  it('accepts 5 and 6 digit short codes only when allowed', () => {
    expect(normalizeNumber('12345', { allowShortCode: true })).toBe('12345');
    expect(normalizeNumber(' 898211 ', { allowShortCode: true })).toBe('898211');
    expect(() => normalizeNumber('12345')).toThrow(InvalidPhoneNumberError);
    expect(() => normalizeNumber('12345', { allowShortCode: false })).toThrow(InvalidPhoneNumberError);
  });

  it('does not take other digit strings for short codes', () => {
    expect(() => normalizeNumber('1234', { allowShortCode: true })).toThrow(InvalidPhoneNumberError);
    expect(() => normalizeNumber('1234567', { allowShortCode: true })).toThrow(InvalidPhoneNumberError);
    expect(() => normalizeNumber('12 345', { allowShortCode: true })).toThrow(InvalidPhoneNumberError);
  });

  it('normalizes full numbers as normalizePhone does', () => {
    expect(normalizeNumber('(415) 555-2671', { allowShortCode: true, defaultCountry: 'US' })).toBe('+14155552671');
  });
});

describe('isNormalizedNumber', () => {
  it('is true only for the canonical form', () => {
    expect(isNormalizedNumber('+14155552671')).toBe(true);
    expect(isNormalizedNumber('+1 415 555 2671')).toBe(false);
    expect(isNormalizedNumber('12345')).toBe(false);
    expect(isNormalizedNumber('12345', { allowShortCode: true })).toBe(true);
    expect(isNormalizedNumber('nope')).toBe(false);
  });
});
