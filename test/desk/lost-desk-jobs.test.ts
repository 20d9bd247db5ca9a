/**
 * The desk's jobs that Redis lost (a restart without persistence, a failover): an alert timer whose job
 * vanished still raises its alert, once, because Postgres keeps the timers not fired yet; a timer that
 * fired leaves nothing behind; and the stream pruning schedule comes back when its scheduler is gone.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESK_QUEUE, PRUNE_SCHEDULER, type DeskJobData } from '../../src/desk/desk-queue.ts';
import { deskConfig } from '../support/desk.ts';
import { redisUrl } from '../support/env.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
let redis: Redis;
let desk: Queue<DeskJobData>;

beforeAll(async () => {
  // SMS waiting for 1.5 s raise an alert; jobs overdue by 300 ms are looked for every 200 ms.
  sb = await startTestSwitchboard(deskConfig({ alerts: [{ id: 'sms-waiting', watch: 'waiting', after: '1500ms', channel: 'sms' }] }), {
    relayPollMs: 50,
    lostJobs: { everyMs: 200, graceMs: 300 },
  });
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  desk = new Queue(DESK_QUEUE, { connection: redis, prefix: sb.prefix });
});
afterAll(async () => {
  await desk?.close();
  redis?.disconnect();
  await sb?.stop();
});

interface TimerRow {
  rule_id: string;
  entered_seq: number;
  fire_at: Date;
}

const timersOf = (id: string) => sb.database.sql<TimerRow[]>`select rule_id, entered_seq, fire_at from desk_alert_timers where interaction_id = ${id}`;
const alertsOf = (id: string) => sb.database.sql<{ id: string; rule_id: string }[]>`select id, rule_id from desk_alerts where interaction_id = ${id}`;

describe('an alert timer Redis lost', () => {
  it('is armed again from what Postgres keeps, and raises its alert once', async () => {
    // Nobody is available: the SMS waits.
    const { id } = await sb.engine.intake({ channel: 'sms', from: '+15551230101', to: '+15550001111', body: 'Anyone there?' }, 'test');
    await expect.poll(async () => (await timersOf(id)).length, { timeout: 3_000, interval: 20 }).toBe(1);
    const [timer] = await timersOf(id);
    const jobId = `alert-sms-waiting-${id}-${timer?.entered_seq}`;
    await expect.poll(async () => (await desk.getJob(jobId))?.id, { timeout: 3_000, interval: 20 }).toBe(jobId);
    // Redis loses the job.
    await (await desk.getJob(jobId))?.remove();
    expect(await desk.getJob(jobId)).toBeUndefined();

    await expect.poll(async () => (await alertsOf(id)).length, { timeout: 8_000, interval: 50 }).toBe(1);
    expect((await alertsOf(id))[0]?.rule_id).toBe('sms-waiting');
    // The job that ran removed its timer; nothing is armed again or raised twice.
    await expect.poll(async () => (await timersOf(id)).length, { timeout: 3_000, interval: 20 }).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await alertsOf(id)).toHaveLength(1);
    expect(await desk.getJob(jobId)).toBeUndefined();
  });

  it('leaves an alert timer whose job still waits alone, and removes it once it has fired', async () => {
    const { id } = await sb.engine.intake({ channel: 'sms', from: '+15551230102', to: '+15550001111', body: 'Hello?' }, 'test');
    await expect.poll(async () => (await timersOf(id)).length, { timeout: 3_000, interval: 20 }).toBe(1);
    const [timer] = await timersOf(id);
    expect(timer?.fire_at.getTime()).toBeGreaterThan(Date.now());
    await expect.poll(async () => (await alertsOf(id)).length, { timeout: 8_000, interval: 50 }).toBe(1);
    await expect.poll(async () => (await timersOf(id)).length, { timeout: 3_000, interval: 20 }).toBe(0);
  });
});

describe('the stream pruning schedule Redis lost', () => {
  it('is scheduled again', async () => {
    expect(await desk.getJobScheduler(PRUNE_SCHEDULER)).toBeDefined();
    await desk.removeJobScheduler(PRUNE_SCHEDULER);
    expect(await desk.getJobScheduler(PRUNE_SCHEDULER)).toBeUndefined();
    await expect.poll(async () => (await desk.getJobScheduler(PRUNE_SCHEDULER))?.every, { timeout: 5_000, interval: 50 }).toBe(3_600_000);
  });
});
