/**
 * Durable timers: the machine's delayed raises become BullMQ delayed jobs with deterministic ids,
 * and its cancels become removals. Arming twice is harmless (same job id); a timer that fires after
 * its moment has passed is ignored by the machine's guards.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, type TimerJobData } from './names.ts';

export class TimerQueue {
  readonly queue: Queue<TimerJobData>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<TimerJobData>(QUEUES.timers, { connection, prefix });
  }

  async arm(jobId: string, data: TimerJobData): Promise<void> {
    await this.queue.add('timer', data, {
      jobId,
      delay: Math.max(0, data.fireAt - Date.now()),
      removeOnComplete: true,
      removeOnFail: { count: 10_000 },
      attempts: 10,
      backoff: { type: 'exponential', delay: 200 },
    });
  }

  async cancel(jobId: string): Promise<void> {
    // 0 when the job already ran or is running right now; either way the machine ignores it.
    await this.queue.remove(jobId);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
