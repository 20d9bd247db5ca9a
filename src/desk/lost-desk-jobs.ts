/**
 * The desk's jobs that Redis lost, found again (see src/engine/lost-jobs.ts, which runs these with its
 * own checks): alert timers overdue in Postgres (alert-timers.ts) whose job is gone are queued again,
 * those whose job failed for good are retried; and the hourly pruning of stream events is scheduled
 * again when its scheduler is gone. An alert queued again raises at most one alert (desk_alerts holds
 * one per rule, interaction and watch), and only if the interaction has not moved.
 */
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import { requeueIfLost, type LostJobsCheck } from '../engine/lost-jobs.ts';
import { overdueAlertTimers } from './alert-timers.ts';
import { PRUNE_SCHEDULER, type DeskQueue } from './desk-queue.ts';

export interface LostDeskJobsDeps {
  sql: Sql;
  deskQueue: DeskQueue;
  logger: Logger;
}

export function lostDeskJobs(deps: LostDeskJobsDeps): Record<string, LostJobsCheck> {
  const { sql, deskQueue, logger } = deps;
  return {
    alerts: async (overdueBefore, batchSize) => {
      let repaired = 0;
      for (const timer of await overdueAlertTimers(sql, overdueBefore, batchSize)) {
        if (!(await requeueIfLost(deskQueue.queue, timer.jobId, () => deskQueue.armAlert(timer)))) continue;
        repaired += 1;
        logger.warn({ interactionId: timer.data.interactionId, jobId: timer.jobId, overdueMs: Date.now() - timer.fireAt }, 'alert timer missing from Redis armed again');
      }
      return repaired;
    },
    schedulers: async () => {
      if ((await deskQueue.queue.getJobScheduler(PRUNE_SCHEDULER)) !== undefined) return 0;
      await deskQueue.schedulePruning();
      logger.warn('stream pruning schedule missing from Redis restored');
      return 1;
    },
  };
}
