/**
 * One poll captures a batch several messages at a time; what depends on order still happens in order:
 * an answer in the same batch as the message it answers joins that message's interaction, and one
 * sender's messages become interactions in the order they arrived. A subscriber to the capture
 * timings sees the poll, its IMAP steps, and each message's parsing and transaction.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCaptureTimings, type CaptureStep, type CaptureTiming } from '../../src/channels/email/capture-timings.ts';
import { EmailDirectory } from '../../src/channels/email/email-directory.ts';
import { MailboxPoller } from '../../src/channels/email/mailbox-poller.ts';
import { appendToMailbox, clearMailbox, startSmtpSink, type SmtpSink } from '../support/mail-servers.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';
import { emailConfig, imapMailbox } from './support/email-config.ts';
import { message } from './support/messages.ts';

const USER = 'billing@example.test';
let sb: TestSwitchboard;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  await clearMailbox(USER);
  // No pollers of its own: the test runs the one poll, so every message is in its batch.
  sb = await startTestSwitchboard(
    emailConfig({ smtpPort: sink.port, mailboxes: [imapMailbox('batch', USER)], overrides: { email: { captureConcurrency: 4 } } }),
    { workers: false },
  );
});

function poller(): MailboxPoller {
  return new MailboxPoller({ engine: sb.engine, sql: sb.database.sql, directory: new EmailDirectory(sb.engine.config), logger: pino({ level: 'silent' }) });
}

afterAll(async () => {
  await sb?.stop();
  await sink?.close();
  await clearMailbox(USER);
});

describe('a batch captured several at a time', () => {
  it('keeps threads and senders in order', async () => {
    const threads = Array.from({ length: 6 }, (_, n) => {
      const question = message({ from: `Asker ${n} <asker${n}@customer.example>`, to: USER, subject: `Question ${n}` });
      const answer = message({ from: `Colleague ${n} <colleague${n}@customer.example>`, to: USER, subject: `Re: Question ${n}`, inReplyTo: question.messageId, references: [question.messageId] });
      return { question, answer };
    });
    const series = Array.from({ length: 5 }, (_, n) => message({ from: 'Serial Writer <serial@customer.example>', to: USER, subject: `Part ${n + 1}` }));
    for (const { question } of threads) await appendToMailbox(USER, question.raw);
    for (const part of series) await appendToMailbox(USER, part.raw);
    for (const { answer } of threads) await appendToMailbox(USER, answer.raw);

    expect(await poller().poll('batch')).toMatchObject({ status: 'ok', captured: 17, duplicates: 0, removed: 17 });

    for (const { question, answer } of threads) {
      const rows = await sb.database.sql<{ interaction_id: string; external_id: string }[]>`
        select interaction_id, external_id from messages where external_id in (${question.messageId}, ${answer.messageId})`;
      expect(rows).toHaveLength(2);
      expect(rows[0]!.interaction_id).toBe(rows[1]!.interaction_id);
    }
    const parts = await sb.database.sql<{ subject: string }[]>`
      select subject from interactions where from_address = 'serial@customer.example' order by reference`;
    expect(parts.map((p) => p.subject)).toEqual(series.map((_, n) => `Part ${n + 1}`));
  });
});

describe('capture timings', () => {
  it('are published to a subscriber: the poll, its IMAP steps, each message parsed and captured', async () => {
    for (let n = 0; n < 3; n++) await appendToMailbox(USER, message({ from: `Timed ${n} <timed${n}@customer.example>`, to: USER, subject: `Timed ${n}` }).raw);
    const timings: CaptureTiming[] = [];
    const stop = onCaptureTimings((timing) => timings.push(timing));
    try {
      expect(await poller().poll('batch')).toMatchObject({ status: 'ok', captured: 3, removed: 3 });
    } finally {
      stop();
    }
    const count = (step: CaptureStep) => timings.filter((timing) => timing.step === step && timing.mailboxId === 'batch').length;
    const steps: CaptureStep[] = ['poll', 'imap_list', 'imap_fetch', 'imap_remove', 'parse', 'transaction'];
    expect(Object.fromEntries(steps.map((step) => [step, count(step)]))).toEqual({ poll: 1, imap_list: 1, imap_fetch: 1, imap_remove: 1, parse: 3, transaction: 3 });
    const poll = timings.find((timing) => timing.step === 'poll')!;
    for (const timing of timings) {
      expect(timing.end).toBeGreaterThanOrEqual(timing.start);
      expect(timing.start).toBeGreaterThanOrEqual(poll.start);
      expect(timing.end).toBeLessThanOrEqual(poll.end);
    }
  });
});
