// Reading values out of ParsedMessage.headers (lower-cased name → raw values in order).

export type HeaderMap = Readonly<Record<string, readonly string[]>>;

/** The first value of a header, or undefined when the message does not have it. */
export function firstHeader(headers: HeaderMap, name: string): string | undefined {
  return headers[name.toLowerCase()]?.[0];
}

/** Every value of a header, empty when the message does not have it. */
export function allHeaders(headers: HeaderMap, name: string): readonly string[] {
  return headers[name.toLowerCase()] ?? [];
}

export interface StructuredValue {
  /** The value before the first `;`, lower-cased and trimmed (e.g. `multipart/report`). */
  value: string;
  /** Parameters by lower-cased name, quotes removed. */
  params: Record<string, string>;
}

/** Splits `type/subtype; name=value; name="value"` (Content-Type, Auto-Submitted, …). */
export function parseStructured(raw: string | undefined): StructuredValue {
  const [head = '', ...rest] = (raw ?? '').split(';');
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/s, '$1');
    if (name) params[name] = value;
  }
  return { value: head.trim().toLowerCase(), params };
}
