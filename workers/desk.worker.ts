/**
 * Runs the desk's delayed jobs: a workgroup's supervisor snapshot (at most one per workgroup and
 * second; see desk-queue.ts) and aged-item alert timers, each in one transaction, and the hourly
 * pruning of stream events past their retention.
 */
import { DelayedError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { forgetAlertTimer } from '../src/desk/alert-timers.ts';
import { raiseAlert } from '../src/desk/alerts.ts';
import { DESK_QUEUE, type DeskJobData, type DeskQueue } from '../src/desk/desk-queue.ts';
import { queueView } from '../src/desk/queue-views.ts';
import { appendSupervisorEvent } from '../src/desk/supervisor-stream.ts';
import { keyOf, type Engine } from '../src/engine/engine.ts';
import { pruneStreamEvents } from '../src/engine/stream-retention.ts';

export interface DeskWorkerOptions {
  engine: Engine;
  deskQueue: DeskQueue;
  connection: Redis;
  prefix: string;
  logger: Logger;
  lockMs?: number;
  concurrency?: number;
}

export function startDeskWorker(options: DeskWorkerOptions): Worker<DeskJobData> {
  const { engine } = options;
  const worker = new Worker<DeskJobData>(
    DESK_QUEUE,
    async (job, token) => {
      const data = job.data;
      switch (data.kind) {
        case 'queue-snapshot': {
          const wait = await options.deskQueue.claimSnapshot(data.workgroup);
          if (wait > 0) {
            await job.moveToDelayed(Date.now() + wait, token);
            throw new DelayedError();
          }
          // Apart from the group commit: a snapshot reads the whole workgroup (tens of milliseconds with
          // thousands open), which in a group, or in one of its places, would hold up the engine's writes.
          await engine.transactionApart(async (tx, outbox, now) => {
            const view = await queueView(tx, engine.config.current(), data.workgroup, now);
            await appendSupervisorEvent(tx, 'queue', { ...view }, outbox);
          });
          return;
        }
        case 'prune-streams': {
          const before = new Date(Date.now() - engine.config.current().retention.streamEvents);
          const deleted = await pruneStreamEvents(engine.database.sql, before);
          if (deleted > 0) options.logger.info({ deleted, before }, 'pruned stream events past their retention');
          return;
        }
        case 'alert': {
          const raised = await engine.transaction(async (tx, outbox, now) => {
            const id = await raiseAlert(tx, engine.config.current(), data, now, outbox);
            await forgetAlertTimer(tx, data);
            return id;
          }, [keyOf.interaction(data.interactionId)]);
          if (!raised) options.logger.debug({ jobId: job.id }, 'alert no longer applies; ignored');
          return;
        }
        default: {
          const unknown: never = data;
          throw new Error(`unknown desk job ${JSON.stringify(unknown)}`);
        }
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 10,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.lockMs ?? 30_000,
    },
  );
  worker.on('failed', (job, error) => options.logger.warn({ err: error, jobId: job?.id }, 'desk job failed'));
  worker.on('error', (error) => options.logger.error({ err: error }, 'desk worker error'));
  return worker;
}
