/**
 * Stream events are kept for `retention.streamEvents`, then pruned by an hourly job that every process
 * registers once; pruning walks the oldest rows in batches and keeps everything younger.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESK_QUEUE } from '../../src/desk/desk-queue.ts';
import { pruneStreamEvents } from '../../src/engine/stream-retention.ts';
import { connectRedis } from '../../src/queues/redis.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { configProblems } from '../support/config-problems.ts';
import { redisUrl } from '../support/env.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard({ ...twoAgentConfig(), retention: { streamEvents: '7d' } });
});
afterAll(async () => {
  await sb?.stop();
});

describe('stream event retention', () => {
  it('registers the hourly pruning job once, however many processes start', async () => {
    const other = await sb.another();
    const connection = connectRedis(redisUrl());
    const queue = new Queue(DESK_QUEUE, { connection, prefix: sb.prefix });
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.every])).toEqual([['prune-streams', 3_600_000]]);
    } finally {
      await queue.close();
      connection.disconnect();
      await other.close();
    }
  });

  it('deletes what is older than the retention and keeps the rest', async () => {
    const { sql } = sb.database;
    await sql`delete from stream_events`;
    const day = 86_400_000;
    const now = Date.now();
    for (let i = 0; i < 12; i++) {
      await sql`insert into stream_events (user_id, type, data, at) values ('alice', 'status', ${sql.json({ i })}, ${new Date(now - 9 * day + i * 1_000)})`;
    }
    for (let i = 0; i < 3; i++) {
      await sql`insert into stream_events (user_id, type, data, at) values ('alice', 'status', ${sql.json({ recent: i })}, ${new Date(now - i * 1_000)})`;
    }
    // Batches of 5: three rounds for the twelve old ones, and the recent ones stay.
    expect(await pruneStreamEvents(sql, new Date(now - 7 * day), 5)).toBe(12);
    const left = await sql<{ data: { recent: number } }[]>`select data from stream_events order by id`;
    expect(left.map((r) => r.data.recent)).toEqual([0, 1, 2]);
    expect(await pruneStreamEvents(sql, new Date(now - 7 * day), 5)).toBe(0);
  });

  it('prunes when the job runs in a worker', async () => {
    const { sql } = sb.database;
    await sql`insert into stream_events (user_id, type, data, at) values ('bob', 'status', ${sql.json({ old: true })}, now() - interval '8 days')`;
    const connection = connectRedis(redisUrl());
    const queue = new Queue(DESK_QUEUE, { connection, prefix: sb.prefix });
    try {
      await queue.add('prune-streams', { kind: 'prune-streams' });
      await expect.poll(async () => (await sql`select 1 from stream_events where at < now() - interval '7 days'`).length, { timeout: 5_000 }).toBe(0);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('refuses a retention shorter than an hour, with its path', () => {
    expect(configProblems({ ...twoAgentConfig(), retention: { streamEvents: '10m' } })).toEqual(['retention.streamEvents: keep stream events at least 1h']);
    expect(configProblems({ ...twoAgentConfig(), retention: { streamEvents: 'soon' } })[0]).toMatch(/^retention\.streamEvents: invalid duration/);
  });
});
