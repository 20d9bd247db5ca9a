// Which messages of a batch may be captured at the same time. Messages from one sender, and
// messages of one thread (one names another's Message-ID in In-Reply-To or References), stay in
// mailbox order, one after the other: a reply must find the message it answers already stored, and a
// customer's messages must reach their interaction in the order they were written. Everything else
// may run side by side.
import { extractMessageIds } from './message-id.ts';
import { rawHeader, rawMessageId, rawSenderAddress } from './raw-headers.ts';

/** Splits messages (in mailbox order) into groups that keep that order within each group. */
export function captureGroups<T extends { raw: Buffer }>(messages: T[]): T[][] {
  const parent = messages.map((_, index) => index);
  const find = (index: number): number => {
    let root = index;
    while (parent[root] !== root) root = parent[root]!;
    parent[index] = root;
    return root;
  };
  const union = (a: number, b: number) => {
    const rootA = find(a);
    const rootB = find(b);
    if (rootA !== rootB) parent[Math.max(rootA, rootB)] = Math.min(rootA, rootB);
  };

  const bySender = new Map<string, number>();
  const byMessageId = new Map<string, number>();
  messages.forEach((message, index) => {
    const id = rawMessageId(message.raw);
    if (id !== null && !byMessageId.has(id)) byMessageId.set(id, index);
  });
  messages.forEach((message, index) => {
    const sender = rawSenderAddress(message.raw) ?? '';
    const first = bySender.get(sender);
    if (first === undefined) bySender.set(sender, index);
    else union(first, index);
    const id = rawMessageId(message.raw);
    if (id !== null) union(byMessageId.get(id) ?? index, index);
    const named = extractMessageIds(`${rawHeader(message.raw, 'in-reply-to') ?? ''} ${rawHeader(message.raw, 'references') ?? ''}`);
    for (const other of named) {
      const target = byMessageId.get(other);
      if (target !== undefined) union(target, index);
    }
  });

  const groups = new Map<number, T[]>();
  messages.forEach((message, index) => {
    const root = find(index);
    const group = groups.get(root) ?? [];
    group.push(message);
    groups.set(root, group);
  });
  return [...groups.values()];
}

/**
 * Runs `work` on every group, at most `concurrency` at once, each group's items in order. After a
 * failure no further item is started; the first failure is thrown once the items under way are done.
 */
export async function runGroups<T>(groups: T[][], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const runner = async () => {
    while (failure === null) {
      const group = groups[next];
      next += 1;
      if (!group) return;
      try {
        for (const item of group) {
          if (failure !== null) return;
          await work(item);
        }
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, groups.length)) }, runner));
  if (failure) throw (failure as { error: unknown }).error;
}
