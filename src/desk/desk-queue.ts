/**
 * The desk's delayed work on BullMQ, with deterministic job ids so any number of processes agree:
 * - a supervisor snapshot of a workgroup, at most one per workgroup and second: every change in second
 *   s schedules job `queue-<workgroup>-<s>` to run at the end of that second; later changes in the same
 *   second find the job there and add nothing (completed jobs are kept a minute for that). A snapshot
 *   about to go out claims the workgroup's throttle key in Redis for a second first; when another
 *   snapshot holds it (timers fire a little late or early), it waits until the key lapses;
 * - an alert timer per rule, interaction and watch (`alert-<rule>-<interaction>-<seq>`), which re-checks
 *   when it fires that the interaction has not moved (Postgres keeps the timers not fired yet, so that
 *   one Redis lost is armed again: alert-timers.ts);
 * - every hour, the pruning of stream events past their retention (one job scheduler, whichever
 *   process registers it).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AlertRuleConfig } from './desk-config.ts';
import type { AlertWatchPayload } from './desk-outbox.ts';

export const DESK_QUEUE = 'desk';

export type DeskJobData =
  | { kind: 'queue-snapshot'; workgroup: string }
  | { kind: 'prune-streams' }
  | ({ kind: 'alert'; ruleId: string; thresholdMs: number } & AlertWatchPayload);

export type AlertJobData = Extract<DeskJobData, { kind: 'alert' }>;

/** An alert timer: the rule's threshold counted from when the watch began. */
export interface AlertTimer {
  jobId: string;
  fireAt: number;
  data: AlertJobData;
}

export function alertJobId(data: Pick<AlertJobData, 'ruleId' | 'interactionId' | 'enteredSeq'>): string {
  return `alert-${data.ruleId}-${data.interactionId}-${data.enteredSeq}`;
}

export function alertTimer(watch: AlertWatchPayload, rule: AlertRuleConfig): AlertTimer {
  const data: AlertJobData = { kind: 'alert', ruleId: rule.id, thresholdMs: rule.after, ...watch };
  return { jobId: alertJobId(data), fireAt: watch.enteredAt + rule.after, data };
}

/** Shortest time between two snapshots of one workgroup. */
export const SNAPSHOT_INTERVAL_MS = 1_000;
/** How often old stream events are pruned, by the job scheduler of this id. */
export const PRUNE_EVERY_MS = 3_600_000;
export const PRUNE_SCHEDULER = 'prune-streams';

export class DeskQueue {
  readonly queue: Queue<DeskJobData>;
  readonly #connection: Redis;
  readonly #prefix: string;
  /** Snapshots this process has scheduled already, by `<workgroup>-<second>` (spares Redis round trips only). */
  readonly #scheduled = new Set<string>();
  #second = 0;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<DeskJobData>(DESK_QUEUE, { connection, prefix });
    this.#connection = connection;
    this.#prefix = prefix;
  }

  /** Registers the hourly pruning of old stream events (idempotent: every process may call it). */
  async schedulePruning(everyMs = PRUNE_EVERY_MS): Promise<void> {
    await this.queue.upsertJobScheduler(
      PRUNE_SCHEDULER,
      { every: everyMs },
      { name: 'prune-streams', data: { kind: 'prune-streams' }, opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
    );
  }

  /** Claims the right to publish a workgroup's snapshot now; returns 0 when claimed, else the ms to wait. */
  async claimSnapshot(workgroup: string): Promise<number> {
    const key = `${this.#prefix}:desk:snapshot:${workgroup}`;
    const claimed = await this.#connection.set(key, '1', 'PX', SNAPSHOT_INTERVAL_MS, 'NX');
    if (claimed === 'OK') return 0;
    return Math.max(1, await this.#connection.pttl(key));
  }

  async scheduleSnapshot(workgroup: string, now = Date.now()): Promise<void> {
    const second = Math.floor(now / 1_000);
    if (second !== this.#second) {
      this.#scheduled.clear();
      this.#second = second;
    }
    const key = `${workgroup}-${second}`;
    if (this.#scheduled.has(key)) return;
    await this.queue.add(
      'queue-snapshot',
      { kind: 'queue-snapshot', workgroup },
      {
        jobId: `queue-${key}`,
        delay: (second + 1) * 1_000 - now,
        removeOnComplete: { age: 60 },
        removeOnFail: { age: 3_600 },
        attempts: 3,
        backoff: { type: 'exponential', delay: 200 },
      },
    );
    this.#scheduled.add(key);
  }

  /** Queues an alert timer's job (idempotent: the job id is the timer's). */
  async armAlert(timer: AlertTimer, now = Date.now()): Promise<void> {
    await this.queue.add('alert', timer.data, {
      jobId: timer.jobId,
      delay: Math.max(0, timer.fireAt - now),
      removeOnComplete: true,
      removeOnFail: { count: 10_000 },
      attempts: 10,
      backoff: { type: 'exponential', delay: 200 },
    });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
