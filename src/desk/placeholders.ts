/**
 * Placeholders in standard responses: `{{customer.name}}`, `{{agent.name}}`, `{{reference}}`, ...
 * with an optional fallback used when the value is unknown: `Dear {{customer.name|customer}},`.
 */
export const PLACEHOLDERS = ['customer.name', 'customer.address', 'agent.name', 'reference', 'subject'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Partial<Record<Placeholder, string | number | null>>;

const PATTERN = /\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*(?:\|([^}]*))?\}\}/g;

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/** The names of the placeholders a text uses that are not known. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PATTERN)].map((match) => match[1] ?? '').filter((name) => !isPlaceholder(name));
}

/** Fills every known placeholder; an unknown value becomes the placeholder's fallback (or nothing). */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(PATTERN, (whole, name: string, fallback: string | undefined) => {
    if (!isPlaceholder(name)) return whole;
    const value = values[name];
    return value === null || value === undefined || value === '' ? (fallback ?? '').trim() : String(value);
  });
}
