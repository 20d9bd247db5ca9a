/**
 * Mailbox poll schedules live in Redis as BullMQ job schedulers. Should Redis lose them (a restart
 * without persistence, a failover), the next check of an unchanged configuration puts them back, so
 * the mailbox is polled again.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { EmailDirectory } from '../../src/channels/email/email-directory.ts';
import type { MailboxPoller } from '../../src/channels/email/mailbox-poller.ts';
import { EMAIL_POLL_QUEUE, PollScheduler } from '../../src/channels/email/poll-scheduler.ts';
import { redisUrl } from '../support/env.ts';

const connections: Redis[] = [];
const connect = () => {
  const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  connections.push(connection);
  return connection;
};
afterAll(() => {
  for (const connection of connections) connection.disconnect();
});

describe('mailbox poll schedules', () => {
  it('come back after Redis lost them', async () => {
    const prefix = `sbt-${randomBytes(4).toString('hex')}`;
    // The directory and poller are the scheduler's own collaborators: one mailbox, polls that report nothing.
    const directory = { mailboxes: () => [{ id: 'support', pollEvery: 60_000 }] } as unknown as EmailDirectory;
    const polls: string[] = [];
    const poller = { poll: async (id: string) => (polls.push(id), { status: 'ok' }), stop: () => {} } as unknown as MailboxPoller;
    const scheduler = new PollScheduler({ connectRedis: connect, prefix, directory, poller, logger: pino({ level: 'silent' }) });
    const queue = new Queue(EMAIL_POLL_QUEUE, { connection: connect(), prefix });
    try {
      await scheduler.start();
      const ids = async () => (await queue.getJobSchedulers()).map((s) => s.id ?? s.key);
      expect(await ids()).toEqual(['support']);

      // Redis loses it; the configuration has not changed.
      await queue.removeJobScheduler('support');
      expect(await ids()).toEqual([]);
      const polledBefore = polls.length;
      await scheduler.sync();
      expect(await ids()).toEqual(['support']);
      // Polled again (a scheduler starts with a poll), not a minute later.
      await expect.poll(() => polls.length, { timeout: 5_000 }).toBeGreaterThan(polledBefore);
    } finally {
      await scheduler.stop();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
