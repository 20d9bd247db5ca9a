// Polling on BullMQ: one job scheduler per configured mailbox (`every: pollEvery`), a worker that
// runs the polls, and schedulers of mailboxes no longer configured removed. Every worker process
// keeps the schedulers in line with its configuration (upserting one is idempotent), and checks again
// periodically so a replaced configuration takes effect and a scheduler Redis lost comes back. Two
// polls of one mailbox never overlap: MailboxPoller holds the mailbox's lock.
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EmailDirectory } from './email-directory.ts';
import type { MailboxPoller } from './mailbox-poller.ts';

export const EMAIL_POLL_QUEUE = 'email-poll';
const RESYNC_MS = 30_000;
const MAX_CONCURRENCY = 16;

interface PollJobData {
  mailboxId: string;
}

export interface PollSchedulerOptions {
  connectRedis: () => Redis;
  prefix: string;
  directory: EmailDirectory;
  poller: MailboxPoller;
  logger: Logger;
}

export class PollScheduler {
  readonly #options: PollSchedulerOptions;
  #queue: Queue<PollJobData> | null = null;
  #worker: Worker<PollJobData> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #synced = '';

  constructor(options: PollSchedulerOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { logger } = this.#options;
    await this.sync();
    this.#timer = setInterval(() => {
      this.sync().catch((error: unknown) => logger.warn({ err: error, channel: 'email' }, 'could not update mailbox poll schedules'));
    }, RESYNC_MS);
    this.#timer.unref();
  }

  /** The queue and the worker, created when the first mailbox is configured (a process without mailboxes holds no connections for them). */
  #open(): Queue<PollJobData> {
    if (this.#queue) return this.#queue;
    const { prefix, logger, poller } = this.#options;
    this.#queue = new Queue<PollJobData>(EMAIL_POLL_QUEUE, { connection: this.#options.connectRedis(), prefix });
    this.#worker = new Worker<PollJobData>(
      EMAIL_POLL_QUEUE,
      async (job) => {
        const report = await poller.poll(job.data.mailboxId);
        return report.status;
      },
      { connection: this.#options.connectRedis(), prefix, concurrency: 1 },
    );
    this.#worker.on('error', (error) => logger.error({ err: error, channel: 'email' }, 'mailbox poll worker error'));
    return this.#queue;
  }

  /**
   * Upserts a scheduler per configured mailbox and removes the others. When the configuration is
   * unchanged it only restores schedulers Redis lost (a restart without persistence, a failover):
   * without them a mailbox would no longer be polled.
   */
  async sync(): Promise<void> {
    const mailboxes = this.#options.directory.mailboxes();
    const signature = JSON.stringify(mailboxes.map((mailbox) => [mailbox.id, mailbox.pollEvery]));
    if (signature === this.#synced) {
      if (!this.#queue || mailboxes.length === 0) return;
      const present = new Set((await this.#queue.getJobSchedulers()).map((scheduler) => scheduler.id ?? scheduler.key));
      if (mailboxes.every((mailbox) => present.has(mailbox.id))) return;
      this.#options.logger.warn({ channel: 'email' }, 'mailbox poll schedules missing from Redis restored');
    }
    if (mailboxes.length === 0 && !this.#queue) {
      this.#synced = signature;
      return;
    }
    const queue = this.#open();
    for (const mailbox of mailboxes) {
      await queue.upsertJobScheduler(
        mailbox.id,
        { every: Math.max(100, mailbox.pollEvery) },
        { name: 'poll', data: { mailboxId: mailbox.id }, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } },
      );
    }
    const configured = new Set(mailboxes.map((mailbox) => mailbox.id));
    for (const scheduler of await queue.getJobSchedulers()) {
      const id = scheduler.id ?? scheduler.key;
      if (!configured.has(id)) await queue.removeJobScheduler(id);
    }
    if (this.#worker) this.#worker.concurrency = Math.min(MAX_CONCURRENCY, Math.max(1, mailboxes.length));
    this.#synced = signature;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#options.poller.stop();
    await this.#worker?.close();
    await this.#queue?.close();
    this.#worker = null;
    this.#queue = null;
  }
}
