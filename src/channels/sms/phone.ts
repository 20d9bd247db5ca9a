// Phone numbers in one canonical form, E.164 ("+14155552671"), so the same customer is the same
// string whichever way it was typed. Validation uses libphonenumber-js's default ("min") metadata:
// it checks the country calling code, the leading digits and the length for that country, not the
// full digit patterns of each numbering plan.
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';
import { InvalidPhoneNumberError } from './errors.ts';

export type { CountryCode };

export interface NormalizeNumberOptions {
  /** Accept a 5–6 digit short code and return it unchanged (for the company's own sender numbers). */
  allowShortCode?: boolean;
  /** Country assumed when the number has no `+` international prefix, e.g. 'US'. */
  defaultCountry?: CountryCode;
}

const SHORT_CODE = /^\d{5,6}$/;
const MAX_INPUT_LENGTH = 64;

/**
 * Returns the E.164 form of a phone number, or throws InvalidPhoneNumberError.
 * Numbers with an extension are refused: an SMS cannot be delivered to an extension.
 */
export function normalizePhone(input: string, defaultCountry?: CountryCode): string {
  const key = `${defaultCountry ?? ''} ${input}`;
  const known = normalized.get(key);
  if (known !== undefined) return known;
  const number = parsePhone(input, defaultCountry);
  if (normalized.size >= NORMALIZED_KEPT) normalized.clear();
  normalized.set(key, number);
  return number;
}

/**
 * Numbers normalized lately: the same few (a company's own numbers, the customers writing right now)
 * come back with every message, and parsing one costs more than the rest of reading a webhook.
 */
const normalized = new Map<string, string>();
const NORMALIZED_KEPT = 10_000;

function parsePhone(input: string, defaultCountry: CountryCode | undefined): string {
  if (defaultCountry !== undefined && !isSupportedCountry(defaultCountry)) {
    throw new RangeError(`Unsupported default country: ${String(defaultCountry)}`);
  }
  const text = input.trim().replace(/^tel:/i, '');
  if (text === '') throw new InvalidPhoneNumberError(input, 'empty');
  if (text.length > MAX_INPUT_LENGTH) throw new InvalidPhoneNumberError(input, 'too long');
  const parsed = parsePhoneNumberFromString(text, { defaultCountry, extract: false });
  if (parsed === undefined) {
    const hint = defaultCountry === undefined && !text.startsWith('+') ? 'no country: use +<country code>' : 'unparseable';
    throw new InvalidPhoneNumberError(input, hint);
  }
  if (parsed.ext !== undefined) throw new InvalidPhoneNumberError(input, 'has an extension');
  if (!parsed.isValid()) throw new InvalidPhoneNumberError(input, 'not a valid number for its country');
  return parsed.number;
}

/** Like normalizePhone, and also accepts short codes when `allowShortCode` is set. */
export function normalizeNumber(input: string, options: NormalizeNumberOptions = {}): string {
  const text = input.trim();
  if (options.allowShortCode === true && SHORT_CODE.test(text)) return text;
  return normalizePhone(input, options.defaultCountry);
}

/** True when `value` is already in the form normalizeNumber returns (E.164, or a short code if allowed). */
export function isNormalizedNumber(value: string, options: { allowShortCode?: boolean } = {}): boolean {
  if (options.allowShortCode === true && SHORT_CODE.test(value)) return true;
  try {
    return normalizePhone(value) === value;
  } catch {
    return false;
  }
}
