// Postgres text and jsonb cannot hold U+0000; broken mail sometimes carries it.

export function withoutNul(value: string): string;
export function withoutNul(value: string | null): string | null;
export function withoutNul(value: string | null): string | null {
  return value === null || !value.includes('\u0000') ? value : value.replaceAll('\u0000', '');
}
