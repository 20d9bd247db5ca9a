/**
 * Jobs that Redis lost are queued again. Timers and outbound sends are BullMQ jobs, and Redis may lose
 * jobs (a restart without persistence, a failover to a replica that was behind, an eviction): an
 * offer would then never ring out, a wrap-up never close, a targeted interaction never overflow, a
 * reply never leave. Postgres knows what should be in Redis: the timers armed on each interaction
 * (`timers`, with their moments and events; the earliest moment in `next_timer_at`) and the outbound
 * messages still pending. So every worker process looks, every `everyMs`, for timers overdue by more
 * than `graceMs` and messages pending for longer than that: one whose job is gone is queued again
 * (the same job id, so processes doing this at once queue it once), a timer whose job failed for good
 * is retried. A job still waiting (workers behind) is left alone. A timer that fires late is applied
 * as any late timer (the machine ignores it if its moment has passed); a send queued again is
 * idempotent as every send is (the provider's idempotency key; the worker sends only a pending message).
 */
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { StoredTimer } from '../../drizzle/core.schema.ts';
import { PeriodicTask } from '../periodic-task.ts';
import type { OutboundJobData } from '../queues/names.ts';
import { enqueueSend, sendJobId } from '../queues/outbound-queue.ts';
import type { TimerQueue } from '../queues/timer-queue.ts';

/**
 * Queues the job `jobId` again with `requeue` when Redis no longer has it, or retries it when it
 * failed for good; leaves it alone while it waits or runs. Returns whether it did anything.
 */
export async function requeueIfLost(queue: Queue, jobId: string, requeue: () => Promise<unknown>): Promise<boolean> {
  const job = await queue.getJob(jobId);
  if (job === undefined) await requeue();
  else if (await job.isFailed()) await job.retry('failed');
  else return false;
  return true;
}

/** Another kind of job to look for: queues again those overdue since before `overdueBefore` (at most `batchSize`), returns how many. */
export type LostJobsCheck = (overdueBefore: Date, batchSize: number) => Promise<number>;

export interface LostJobsOptions {
  sql: Sql;
  timers: TimerQueue;
  outbound: Queue<OutboundJobData>;
  logger: Logger;
  /** How often to look (default 30 s). */
  everyMs?: number;
  /** How long past its moment a timer, or how long pending a message, must be before it is looked at (default 30 s). */
  graceMs?: number;
  /** Interactions, and messages, looked at per look (default 500 each, the longest waiting first). */
  batchSize?: number;
  /** Other jobs to look for each time, by name (the desk's alert timers and schedules: lost-desk-jobs.ts). */
  more?: Record<string, LostJobsCheck>;
}

export class LostJobs {
  readonly #options: Required<Omit<LostJobsOptions, 'logger'>> & { logger: Logger };
  readonly #task: PeriodicTask;

  constructor(options: LostJobsOptions) {
    this.#options = { everyMs: 30_000, graceMs: 30_000, batchSize: 500, more: {}, ...options };
    this.#task = new PeriodicTask(() => this.reconcile(), this.#options.everyMs, (error) =>
      this.#options.logger.warn({ err: error }, 'looking for jobs Redis lost failed'),
    );
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** One look; returns how many timers and sends (and of the other kinds, by name) were queued again or retried. */
  async reconcile(): Promise<Record<string, number> & { timers: number; sends: number }> {
    const before = Date.now() - this.#options.graceMs;
    const repaired = { timers: await this.#timers(before), sends: await this.#sends(before) };
    const more: Record<string, number> = {};
    for (const [name, check] of Object.entries(this.#options.more)) more[name] = await check(new Date(before), this.#options.batchSize);
    return { ...more, ...repaired };
  }

  async #timers(overdueBefore: number): Promise<number> {
    const { sql, timers, batchSize, logger } = this.#options;
    const rows = await sql<{ id: string; timers: Record<string, StoredTimer> }[]>`
      select id, timers from interactions
      where next_timer_at < ${new Date(overdueBefore)} and state not in ('closed', 'discarded')
      order by next_timer_at limit ${batchSize}`;
    let repaired = 0;
    for (const row of rows) {
      for (const armed of Object.values(row.timers)) {
        if (typeof armed === 'string' || armed.fireAt >= overdueBefore) continue;
        const requeued = await requeueIfLost(timers.queue, armed.jobId, () =>
          timers.arm(armed.jobId, { target: { kind: 'interaction', id: row.id }, event: armed.event, fireAt: armed.fireAt }),
        );
        if (!requeued) continue;
        repaired += 1;
        logger.warn({ interactionId: row.id, jobId: armed.jobId, overdueMs: Date.now() - armed.fireAt }, 'timer missing from Redis armed again');
      }
    }
    return repaired;
  }

  async #sends(pendingBefore: number): Promise<number> {
    const { sql, outbound, batchSize, logger } = this.#options;
    const rows = await sql<{ id: string; channel: string }[]>`
      select id, channel from messages
      where direction = 'out' and status = 'pending' and updated_at < ${new Date(pendingBefore)}
      order by updated_at limit ${batchSize}`;
    let repaired = 0;
    for (const row of rows) {
      // A job kept (waiting, retrying, or failed for good with its message marked so by the worker) is left as it is.
      if ((await outbound.getJob(sendJobId(row.id))) !== undefined) continue;
      await enqueueSend(outbound, { messageId: row.id, channel: row.channel });
      repaired += 1;
      logger.warn({ messageId: row.id }, 'send missing from Redis queued again');
    }
    return repaired;
  }
}
