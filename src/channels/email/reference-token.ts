// The interaction reference carried in email subjects: `[SB#1042]`.
import { EmailChannelError } from './errors.ts';

const TOKEN = /\[SB#([1-9][0-9]{0,15})\]/i;
const TOKEN_GLOBAL = /\s*\[SB#[0-9]+\]\s*/gi;

// Reply prefixes written by mail clients, with optional counters ("Re[2]:", "Re^3:", "Re(2):")
// and full-width colons: Re/RE, Aw (German), Sv (Nordic), Vs (Finnish), Antw (Dutch), Odp (Polish),
// Ynt (Turkish), Atb (Latvian), Rif (Italian), Res (Portuguese), Vá (Hungarian), Odg (Croatian),
// Ответ (Russian), ΑΠ / ΣΧΕΤ (Greek), 回复 / 回覆 / 答复 (Chinese). Forward prefixes (Fwd, WG, TR) stay.
const REPLY_PREFIX =
  /^\s*(?:re|aw|sv|vs|antw|odp|ynt|atb|rif|res|vá|odg|ответ|απ|σχετ|回复|回覆|答复)\s*(?:\[\d+\]|\^\d+|\(\d+\))?\s*[:：]\s*/iu;

export function formatReferenceToken(referenceNumber: number): string {
  if (!Number.isSafeInteger(referenceNumber) || referenceNumber < 1) {
    throw new EmailChannelError('INVALID_REFERENCE_NUMBER', `reference number must be a positive integer, got ${referenceNumber}`);
  }
  return `[SB#${referenceNumber}]`;
}

/** The reference number of the first `[SB#n]` token in a subject, or null. */
export function findReferenceToken(subject: string | null | undefined): number | null {
  if (!subject) return null;
  const match = TOKEN.exec(subject);
  if (!match?.[1]) return null;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * The subject of our reply: `Re: [SB#n] <original subject>`. Leading reply prefixes in any of the
 * languages above and every existing `[SB#…]` token are removed first, so prefixes and tokens never stack;
 * runs of whitespace are collapsed to one space.
 */
export function replySubject(subject: string | null | undefined, referenceNumber: number): string {
  const token = formatReferenceToken(referenceNumber);
  let rest = (subject ?? '').replace(TOKEN_GLOBAL, ' ').replace(/\s+/g, ' ').trim();
  for (let previous = ''; previous !== rest; ) {
    previous = rest;
    rest = rest.replace(REPLY_PREFIX, '').trim();
  }
  return rest ? `Re: ${token} ${rest}` : `Re: ${token}`;
}
