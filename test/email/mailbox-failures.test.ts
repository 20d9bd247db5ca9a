/**
 * Mailboxes that cannot be polled (nothing listening, a wrong password, a secret missing from the
 * environment) never crash the process and never hold up the others: each failure is counted, the
 * next attempt backs off (pollEvery doubled per failure in a row, up to maxPollBackoff), and /healthz
 * shows the error. A healthy mailbox of the same process keeps capturing.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from '../support/http-client.ts';
import { appendToMailbox, clearMailbox, DOVECOT_HOST, DOVECOT_IMAP_PORT, startSmtpSink, type SmtpSink } from '../support/mail-servers.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';
import { emailConfig, imapMailbox, pop3Mailbox } from './support/email-config.ts';
import { message } from './support/messages.ts';

const HEALTHY = 'support@example.test';

let sb: TestSwitchboard;
let sink: SmtpSink;
let closedPort: number;
let silent: Server;

interface MailboxHealth {
  id: string;
  status: string;
  failures: number;
  lastError: string | null;
  nextAttemptAfter: string | null;
  credentials: string;
}

beforeAll(async () => {
  sink = await startSmtpSink();
  await clearMailbox(HEALTHY);
  // A port nothing listens on, and a server that accepts connections but never greets.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as { port: number }).port;

  sb = await startTestSwitchboard(
    emailConfig({
      smtpPort: sink.port,
      mailboxes: [
        imapMailbox('healthy', HEALTHY),
        imapMailbox('refused', HEALTHY, { host: '127.0.0.1', port: closedPort }),
        // Dovecot answers repeated failed logins ever more slowly (its auth penalty), hence the longer timeout.
        imapMailbox('wrong-password', 'orders@example.test', { auth: { user: 'orders@example.test', password: 'not-the-password' }, timeout: '30s' }),
        imapMailbox('no-secret', 'orders@example.test', { auth: { user: 'orders@example.test', passwordEnv: 'SWITCHBOARD_TEST_UNSET_PASSWORD' } }),
        pop3Mailbox('silent', 'orders@example.test', { host: '127.0.0.1', port: silentPort, timeout: '300ms' }),
      ],
      overrides: { email: { maxPollBackoff: '800ms' } },
    }),
  );
});

afterAll(async () => {
  await sb?.stop();
  await sink?.close();
  await new Promise<void>((resolve) => silent?.close(() => resolve()));
  await clearMailbox(HEALTHY);
});

async function health(): Promise<Map<string, MailboxHealth>> {
  const response = await client(sb.url).get<{ status: string; email: { mailboxes: MailboxHealth[] } }>('/healthz');
  expect(response.status).toBe(200);
  return new Map(response.body.email.mailboxes.map((mailbox) => [mailbox.id, mailbox]));
}

describe('mailboxes that cannot be polled', () => {
  it('are reported in /healthz with their error, back off, and leave the others alone', async () => {
    await expect
      .poll(
        async () => [...(await health()).values()].filter((m) => m.id !== 'healthy').every((m) => m.failures >= (m.id === 'wrong-password' ? 1 : 2)),
        { timeout: 30_000 },
      )
      .toBe(true);
    const report = await health();
    expect(report.get('refused')).toMatchObject({ status: 'failing', lastError: expect.stringMatching(/ECONNREFUSED|connect/i) });
    expect(report.get('wrong-password')).toMatchObject({ status: 'failing', lastError: expect.stringMatching(/auth/i) });
    expect(report.get('no-secret')).toMatchObject({
      status: 'failing',
      credentials: 'missing',
      lastError: 'environment variable SWITCHBOARD_TEST_UNSET_PASSWORD (credentials of orders@example.test) is not set',
    });
    expect(report.get('silent')).toMatchObject({ status: 'failing', lastError: expect.stringMatching(/timeout|answer/i) });
    expect(report.get('refused')!.nextAttemptAfter).toEqual(expect.any(String));

    // The healthy mailbox of the same process captures as usual.
    const mail = message({ from: 'Still Here <still@customer.example>' });
    await appendToMailbox(HEALTHY, mail.raw);
    await expect
      .poll(async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from messages where external_id = ${mail.messageId}`)[0]!.n, {
        timeout: 10_000,
      })
      .toBe(1);
    expect((await health()).get('healthy')).toMatchObject({ status: 'ok', failures: 0, lastError: null });
  });

  it('backs off: failures in a row come ever less often, at most maxPollBackoff apart', async () => {
    const [start] = await sb.database.sql<{ failures: number }[]>`select failures from email_mailboxes where id = 'refused'`;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const [end] = await sb.database.sql<{ failures: number; gap: number }[]>`
      select failures, extract(epoch from (retry_at - last_error_at)) * 1000 as gap from email_mailboxes where id = 'refused'`;
    // Every 200 ms without back-off would be 15 failures in 3 s; capped at 800 ms apart it is about 4.
    const added = end!.failures - start!.failures;
    expect(added).toBeGreaterThanOrEqual(2);
    expect(added).toBeLessThanOrEqual(6);
    expect(Math.round(end!.gap)).toBe(800);
  });

  it('recovers once the server answers again', async () => {
    // The same mailbox, now pointed at the real server: the configuration in force is read on every poll.
    const current = sb.engine.config.current();
    sb.engine.config.replace({
      ...current,
      mailboxes: current.mailboxes.map((m) => (m.id === 'refused' ? { ...m, port: DOVECOT_IMAP_PORT, host: DOVECOT_HOST } : m)),
    });
    await expect.poll(async () => (await health()).get('refused')?.status, { timeout: 10_000 }).toBe('ok');
    // The last error stays on record, older than the success that followed it.
    const recovered = (await health()).get('refused') as MailboxHealth & { lastErrorAt: string; lastSuccessAt: string };
    expect(recovered).toMatchObject({ failures: 0, nextAttemptAfter: null });
    expect(Date.parse(recovered.lastSuccessAt)).toBeGreaterThan(Date.parse(recovered.lastErrorAt));
  });
});
