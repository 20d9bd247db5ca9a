// Message-IDs as they appear in Message-ID, In-Reply-To and References headers.
// Canonical form used throughout the channel: angle brackets included, case kept, e.g. `<abc@host>`.

const BRACKETED = /<([^<>\s]+)>/g;

/** Every Message-ID named in a header value, in order, without duplicates. */
export function extractMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  const ids: string[] = [];
  for (const match of value.matchAll(BRACKETED)) {
    const id = `<${match[1]}>`;
    if (!ids.includes(id)) ids.push(id);
  }
  if (ids.length > 0) return ids;
  // Some software writes ids without brackets: accept bare tokens that look like addr-spec ids.
  for (const token of value.split(/[\s,]+/)) {
    if (/^[^<>@\s]+@[^<>@\s]+$/.test(token)) {
      const id = `<${token}>`;
      if (!ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

/** The first Message-ID in a header value, or null when there is none. */
export function normalizeMessageId(value: string | null | undefined): string | null {
  return extractMessageIds(value)[0] ?? null;
}
