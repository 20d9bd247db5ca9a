/**
 * Where time passes: fires the machines' timers. Each job carries the event it was armed with; the
 * machine's guards drop it if its moment has passed (the offer was accepted, the target changed).
 */
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { InteractionEvent } from '../machines/interaction.types.ts';
import type { Engine } from '../src/engine/engine.ts';
import { SwitchboardError } from '../src/errors.ts';
import { QUEUES, type TimerJobData } from '../src/queues/names.ts';

export interface TimerWorkerOptions {
  engine: Engine;
  connection: Redis;
  prefix: string;
  logger: Logger;
  /** Job lock (ms); a crashed worker's jobs are taken over once it lapses. */
  lockMs?: number;
  concurrency?: number;
  /** Observes how late each timer fired (ms); the benchmark uses it. */
  onFired?: (latenessMs: number, applied: boolean) => void;
}

export function startTimerWorker(options: TimerWorkerOptions): Worker<TimerJobData> {
  const worker = new Worker<TimerJobData>(
    QUEUES.timers,
    async (job) => {
      const { target, event, fireAt } = job.data;
      const lateness = Date.now() - fireAt;
      let applied: boolean;
      try {
        applied = await options.engine.deliver(target.id, event as InteractionEvent, 'timer');
      } catch (error) {
        // An interaction that does not exist never will: retrying cannot help.
        if (error instanceof SwitchboardError && error.code === 'INTERACTION_NOT_FOUND') throw new UnrecoverableError(error.message);
        throw error;
      }
      if (!applied) options.logger.debug({ jobId: job.id, event: event.type }, 'timer no longer applies; ignored');
      options.onFired?.(lateness, applied);
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 50,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.lockMs ?? 30_000,
    },
  );
  worker.on('failed', (job, error) => options.logger.warn({ err: error, jobId: job?.id }, 'timer job failed'));
  worker.on('error', (error) => options.logger.error({ err: error }, 'timer worker error'));
  return worker;
}
