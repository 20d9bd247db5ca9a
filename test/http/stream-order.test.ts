/**
 * Nothing on a user's stream is skipped:
 * - when transactions commit out of order: stream event ids are taken when a row is written, so an
 *   event with a smaller id can commit after one with a larger id (two transactions writing to one
 *   agent's or the supervisors' stream at once). A connection, and a client resuming after
 *   Last-Event-ID, must get both;
 * - when a notification is lost: Redis pub/sub keeps nothing for a subscriber that is away, so a
 *   connection reads its stream again once the process has subscribed again;
 * and a transaction that runs for long (here one that writes elsewhere) holds streams back only until
 * it is stale.
 */
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, twoAgentConfig } from '../support/configs.ts';
import { openEventStream } from '../support/http-client.ts';
import { redisUrl } from '../support/env.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
let writers: postgres.Sql;

beforeAll(async () => {
  sb = await startTestSwitchboard(twoAgentConfig());
  writers = postgres(sb.db.url, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await writers?.end();
  await sb?.stop();
});

/** Opens a transaction that has written one stream event for `userId` and waits for `release` to commit it. */
async function heldWrite(userId: string, note: string, release: Promise<void>): Promise<{ id: number; committed: Promise<void> }> {
  let written!: (id: number) => void;
  const id = new Promise<number>((resolve) => (written = resolve));
  const committed = writers
    .begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`insert into stream_events (user_id, type, data) values (${userId}, 'note', ${tx.json({ note })}) returning id`;
      written(Number(row?.id));
      await release;
    })
    .then(() => undefined);
  return { id: await id, committed };
}

describe('stream events committed out of order', () => {
  it('reach a live connection and a resuming one, none skipped', async () => {
    const live = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    await live.next('status');

    let releaseFirst!: () => void;
    const first = await heldWrite('alice', 'first', new Promise<void>((resolve) => (releaseFirst = resolve)));
    const second = await heldWrite('alice', 'second', Promise.resolve());
    await second.committed;
    expect(second.id).toBeGreaterThan(first.id);
    await sb.context.hub.notify('alice');
    // The later event is committed, the earlier one not yet: the later one waits for it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.events.filter((e) => e.event === 'note')).toEqual([]);
    // A connection opened now starts before the transaction still running.
    const late = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    await late.next('status');

    releaseFirst();
    await first.committed;
    await sb.context.hub.notify('alice');

    const one = await live.next('note', (e) => e.data.note === 'first', 5_000);
    const two = await live.next('note', (e) => e.data.note === 'second', 5_000);
    expect([Number(one.id), Number(two.id)]).toEqual([first.id, second.id]);
    expect(live.events.filter((e) => e.event === 'note').map((e) => e.data.note)).toEqual(['first', 'second']);
    await late.next('note', (e) => e.data.note === 'first', 5_000);
    await late.close();
    await live.close();

    // A client that saw only the event written first resumes after it and gets the other.
    const resumed = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice, one.id ?? undefined);
    await resumed.next('note', (e) => e.data.note === 'second', 5_000);
    await resumed.close();
  });
});

describe('a notification lost while the stream subscriber was away', () => {
  it('does not hold an event back: connections read again once the process has subscribed again', async () => {
    const live = await openEventStream(`${sb.url}/api/me/events`, TOKENS.bob);
    await live.next('status');
    // Written with no notification at all: as if it was published while nobody listened.
    await writers`insert into stream_events (user_id, type, data) values ('bob', 'note', ${writers.json({ note: 'unheard' })})`;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.events.filter((e) => e.event === 'note')).toEqual([]);

    // The process's stream subscriber loses its connection (and reconnects by itself).
    const redis = new Redis(redisUrl());
    try {
      const clients = String(await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      const ours = clients.split('\n').filter((line) => line.includes(` name=${sb.prefix}:streams `));
      expect(ours).toHaveLength(1);
      const id = /\bid=(\d+)/.exec(ours[0] ?? '')?.[1] ?? '';
      await redis.call('CLIENT', 'KILL', 'ID', id);
    } finally {
      redis.disconnect();
    }
    await live.next('note', (e) => e.data.note === 'unheard', 5_000);
    await live.close();
  });
});

describe('a long-running transaction', () => {
  it('holds events back only until it is stale', async () => {
    const patient = await sb.another({ streamStaleTransactionMs: 1_000 });
    let release!: () => void;
    // A transaction that has written (so it has a transaction id) and goes on running.
    const idle = writers.begin(async (tx) => {
      await tx`insert into stream_events (user_id, type, data) values ('nobody', 'note', ${tx.json({ note: 'elsewhere' })})`;
      await new Promise<void>((resolve) => (release = resolve));
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const live = await openEventStream(`${patient.url}/api/me/events`, TOKENS.bob);
      await live.next('status');
      const started = Date.now();
      await writers`insert into stream_events (user_id, type, data) values ('bob', 'note', ${writers.json({ note: 'after a long one' })})`;
      await patient.context.hub.notify('bob');
      await live.next('note', (e) => e.data.note === 'after a long one', 10_000);
      // Held back while the transaction was younger than a second, then sent.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      await live.close();
    } finally {
      release();
      await idle;
    }
  });
});
