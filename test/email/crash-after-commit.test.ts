/**
 * A crash between the commit of a capture and the removal of the message from the mailbox neither
 * loses the message nor captures it twice: the next poll recognises the copy and only removes it.
 * Once with a real process killed with SIGKILL at that point, once in process for IMAP and POP3.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailDirectory } from '../../src/channels/email/email-directory.ts';
import { MailboxPoller, type PollReport } from '../../src/channels/email/mailbox-poller.ts';
import { appendToMailbox, clearMailbox, listMailbox, startSmtpSink, type SmtpSink } from '../support/mail-servers.ts';
import { redisUrl } from '../support/env.ts';
import { writeConfigFile } from '../support/processes.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';
import { emailConfig, imapMailbox, pop3Mailbox } from './support/email-config.ts';
import { message } from './support/messages.ts';

const KILLED = 'orders@example.test';
const IMAP_USER = 'billing@example.test';
const POP3_USER = 'customer@example.test';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./support/capture-then-die.ts', import.meta.url));

let sb: TestSwitchboard;
let sink: SmtpSink;
let configFile: string;

function config() {
  return emailConfig({
    smtpPort: sink.port,
    mailboxes: [
      imapMailbox('killed', KILLED, { afterCapture: 'delete' }),
      imapMailbox('imap', IMAP_USER, { afterCapture: 'delete' }),
      pop3Mailbox('pop3', POP3_USER, { afterCapture: 'delete', address: 'orders@example.test' }),
    ],
  });
}

beforeAll(async () => {
  sink = await startSmtpSink();
  await Promise.all([KILLED, IMAP_USER, POP3_USER].map((user) => clearMailbox(user)));
  // No process of this test polls on its own: each poll is started (and crashed) by the test.
  sb = await startTestSwitchboard(config(), { workers: false });
  configFile = await writeConfigFile(config());
});

afterAll(async () => {
  await sb?.stop();
  await sink?.close();
  await Promise.all([KILLED, IMAP_USER, POP3_USER].map((user) => clearMailbox(user)));
});

async function interactionsWith(rfcMessageId: string): Promise<number> {
  const [row] = await sb.database.sql<{ n: number }[]>`select count(*)::int as n from messages where external_id = ${rfcMessageId} and direction = 'in'`;
  return row!.n;
}

function poller(hooks?: ConstructorParameters<typeof MailboxPoller>[0]['hooks']): MailboxPoller {
  return new MailboxPoller({
    engine: sb.engine,
    sql: sb.database.sql,
    directory: new EmailDirectory(sb.engine.config),
    logger: pino({ level: 'silent' }),
    ...(hooks ? { hooks } : {}),
  });
}

/** Polls until a poll runs (the failed one before set a short back-off). */
async function pollUntilDone(target: MailboxPoller, mailbox: string): Promise<PollReport> {
  let report: PollReport = { status: 'busy' };
  await expect
    .poll(async () => {
      report = await target.poll(mailbox);
      return report.status;
    }, { timeout: 10_000, interval: 100 })
    .toBe('ok');
  return report;
}

const crashAfterCommit = { afterCapture: () => Promise.reject(new Error('crashed after the commit')) };

describe('a crash between commit and removal', () => {
  it('SIGKILL after the commit: the restarted poller removes the message and captures nothing twice', async () => {
    const first = message({ from: 'Kill Ed <killed@customer.example>', to: KILLED, subject: 'first' });
    const second = message({ from: 'Kill Ed <killed@customer.example>', to: KILLED, subject: 'second' });
    await appendToMailbox(KILLED, first.raw);
    await appendToMailbox(KILLED, second.raw);

    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: sb.db.url,
        REDIS_URL: redisUrl(),
        SWITCHBOARD_CONFIG: configFile,
        SWITCHBOARD_QUEUE_PREFIX: sb.prefix,
        MAILBOX: 'killed',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, killedBy) => resolve(killedBy)));
    expect(signal, output.join('')).toBe('SIGKILL');
    expect(output.join('')).toContain('"status":"captured"');

    // Committed, not removed: the first message is an interaction and still in the mailbox.
    expect(await interactionsWith(first.messageId)).toBe(1);
    expect(await interactionsWith(second.messageId)).toBe(0);
    expect(await listMailbox(KILLED)).toHaveLength(2);

    // A process that runs the pollers takes over.
    const restarted = await sb.another({ workers: true, api: false });
    await expect.poll(async () => (await listMailbox(KILLED)).length, { timeout: 15_000 }).toBe(0);
    await restarted.close();
    expect(await interactionsWith(first.messageId)).toBe(1);
    expect(await interactionsWith(second.messageId)).toBe(1);
    const items = await sb.database.sql<{ outcome: string; removed: boolean }[]>`
      select outcome, removed_at is not null as removed from email_mailbox_items where mailbox_id = 'killed'`;
    expect(items).toEqual([
      { outcome: 'captured', removed: true },
      { outcome: 'captured', removed: true },
    ]);
  });

  it('IMAP: a poll that fails after the commit leaves the message; the next one removes it without a second capture', async () => {
    const mail = message({ from: 'Im Ap <imap@customer.example>', to: IMAP_USER });
    await appendToMailbox(IMAP_USER, mail.raw);
    const failed = await poller(crashAfterCommit).poll('imap');
    expect(failed).toMatchObject({ status: 'failed', error: 'crashed after the commit' });
    expect(await interactionsWith(mail.messageId)).toBe(1);
    expect(await listMailbox(IMAP_USER)).toHaveLength(1);

    const done = await pollUntilDone(poller(), 'imap');
    expect(done).toMatchObject({ status: 'ok', captured: 0, removed: 1 });
    expect(await listMailbox(IMAP_USER)).toHaveLength(0);
    expect(await interactionsWith(mail.messageId)).toBe(1);
  });

  it('POP3: a session that ends without QUIT deletes nothing; the next poll deletes without a second capture', async () => {
    const mail = message({ from: 'Po Pe <pop@customer.example>', to: POP3_USER });
    await appendToMailbox(POP3_USER, mail.raw);
    const failed = await poller(crashAfterCommit).poll('pop3');
    expect(failed).toMatchObject({ status: 'failed', error: 'crashed after the commit' });
    expect(await interactionsWith(mail.messageId)).toBe(1);
    expect(await listMailbox(POP3_USER)).toHaveLength(1);

    const done = await pollUntilDone(poller(), 'pop3');
    expect(done).toMatchObject({ status: 'ok', captured: 0, removed: 1 });
    expect(await listMailbox(POP3_USER)).toHaveLength(0);
    expect(await interactionsWith(mail.messageId)).toBe(1);
  });
});
