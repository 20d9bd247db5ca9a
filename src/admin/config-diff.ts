/**
 * What changed between two configuration documents, as `{ path, before, after }` entries for the
 * audit log. Lists of items with keys (ids, codes, numbers) are compared item by item, so a changed
 * screening rule shows as `categories[billing].rules` rather than as a whole new list.
 */
import { isDeepStrictEqual } from 'node:util';
import { itemKey } from './config-document.ts';

export interface ConfigChangeEntry {
  path: string;
  before: unknown;
  after: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function keyedItems(value: unknown): Map<string, unknown> | null {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) return null;
  const items = new Map<string, unknown>();
  for (const item of value) {
    const key = itemKey(item);
    if (key === null || items.has(key)) return null;
    items.set(key, item);
  }
  return items;
}

export function diffDocuments(before: unknown, after: unknown, path = ''): ConfigChangeEntry[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => diffDocuments(before[key] ?? null, after[key] ?? null, path ? `${path}.${key}` : key));
  }
  const beforeItems = keyedItems(before);
  const afterItems = keyedItems(after);
  if (beforeItems && afterItems) {
    const keys = [...new Set([...beforeItems.keys(), ...afterItems.keys()])];
    const changes = keys.flatMap((key) => diffDocuments(beforeItems.get(key) ?? null, afterItems.get(key) ?? null, `${path}[${key}]`));
    const reordered = changes.length === 0 && !isDeepStrictEqual([...beforeItems.keys()], [...afterItems.keys()]);
    return reordered ? [{ path, before: [...beforeItems.keys()], after: [...afterItems.keys()] }] : changes;
  }
  return [{ path: path || '(root)', before, after }];
}
