import { describe, expect, it } from 'vitest';
import { captureGroups, runGroups } from '../../src/channels/email/capture-groups.ts';
import { message } from './support/messages.ts';

const mail = (options: Parameters<typeof message>[0]) => {
  const built = message(options);
  return { id: built.messageId, raw: Buffer.from(built.raw) };
};

describe('capture groups', () => {
  it("keeps one sender's messages, and one thread's, in mailbox order; lets the rest run side by side", () => {
    const a1 = mail({ from: 'A <a@customer.example>', subject: 'a1' });
    const b1 = mail({ from: 'B <b@customer.example>', subject: 'b1' });
    const a2 = mail({ from: 'a@CUSTOMER.example', subject: 'a2' });
    const c1 = mail({ from: 'C <c@customer.example>', subject: 'c1', inReplyTo: b1.id });
    const d1 = mail({ from: 'D <d@customer.example>', subject: 'd1', references: ['<elsewhere@x>', c1.id] });
    const e1 = mail({ from: 'E <e@customer.example>', subject: 'e1' });
    const groups = captureGroups([a1, b1, a2, c1, d1, e1]);
    expect(groups.map((group) => group.map((m) => m.id))).toEqual([[a1.id, a2.id], [b1.id, c1.id, d1.id], [e1.id]]);
  });

  it('treats two copies of one message as one thread', () => {
    const original = mail({ from: 'A <a@customer.example>' });
    const other = mail({ from: 'B <b@customer.example>', messageId: original.id });
    expect(captureGroups([original, other]).map((group) => group.length)).toEqual([2]);
  });

  it('runs groups side by side, items of a group in order, and stops starting items after a failure', async () => {
    const order: string[] = [];
    const work = async (item: string) => {
      await new Promise((resolve) => setTimeout(resolve, item.startsWith('slow') ? 30 : 1));
      order.push(item);
    };
    await runGroups([['slow-1', 'slow-2'], ['fast-1', 'fast-2', 'fast-3']], 2, work);
    expect(order.indexOf('fast-3')).toBeLessThan(order.indexOf('slow-1'));
    expect(order.filter((item) => item.startsWith('slow'))).toEqual(['slow-1', 'slow-2']);

    const started: string[] = [];
    const failing = runGroups([['bad', 'never'], ['later']], 1, async (item) => {
      started.push(item);
      if (item === 'bad') throw new Error('broken');
    });
    await expect(failing).rejects.toThrow('broken');
    expect(started).toEqual(['bad']);
  });
});
