/**
 * Bad mail never stops a mailbox and is never dropped: a message too large is quarantined with only
 * its beginning read (over IMAP and over POP3), input without a header section or without a usable
 * sender is quarantined with the reason, and truncated MIME, an unknown charset or NUL characters are
 * captured with what can be read. The message after them is captured as usual and every one of them
 * leaves the mailbox.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureMessage } from '../../src/channels/email/capture-message.ts';
import { EmailDirectory } from '../../src/channels/email/email-directory.ts';
import { TOKENS } from '../support/configs.ts';
import { client } from '../support/http-client.ts';
import { appendToMailbox, clearMailbox, listMailbox, startSmtpSink, type SmtpSink } from '../support/mail-servers.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';
import { emailConfig, imapMailbox, pop3Mailbox } from './support/email-config.ts';
import { message } from './support/messages.ts';

const IMAP_USER = 'billing@example.test';
const POP3_USER = 'orders@example.test';
const LIMIT = 1024 * 1024;

let sb: TestSwitchboard;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  await Promise.all([IMAP_USER, POP3_USER].map((user) => clearMailbox(user)));
  sb = await startTestSwitchboard(
    emailConfig({
      smtpPort: sink.port,
      mailboxes: [imapMailbox('imap', IMAP_USER, { afterCapture: 'delete' }), pop3Mailbox('pop3', POP3_USER, { afterCapture: 'delete' })],
      overrides: { email: { maxMessageBytes: LIMIT } },
    }),
  );
});

afterAll(async () => {
  await sb?.stop();
  await sink?.close();
  await Promise.all([IMAP_USER, POP3_USER].map((user) => clearMailbox(user)));
});

interface Capture {
  kind: string;
  reason: string;
  state: string;
  discard_reason: string | null;
  raw_length: number;
  raw_truncated: boolean;
  size: number;
  body: string;
  subject: string | null;
}

async function capturesOf(mailbox: string): Promise<Capture[]> {
  return sb.database.sql<Capture[]>`
    select q.kind, q.reason, i.state, i.discard_reason, length(e.raw) as raw_length, e.raw_truncated, q.size, m.body, i.subject
    from email_inbound q
    join interactions i on i.id = q.interaction_id
    join messages m on m.id = q.message_id
    join email_messages e on e.message_id = q.message_id
    where q.mailbox_id = ${mailbox} order by q.captured_at`;
}

function huge(bytes: number, to: string): string {
  const line = 'x'.repeat(76);
  const lines = Math.ceil(bytes / (line.length + 2));
  return [
    'From: Big Sender <big@customer.example>',
    `To: ${to}`,
    'Subject: A very large message',
    `Message-ID: <${randomUUID()}@customer.example>`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    ...Array.from({ length: lines }, () => line),
    '',
  ].join('\r\n');
}

describe('bad input', () => {
  it('quarantines or captures every broken message with its reason, and keeps going (IMAP)', async () => {
    const boundary = 'cut-here';
    const inputs = [
      huge(30 * 1024 * 1024, IMAP_USER),
      '\u0000\u0001\u0002 binary junk without any header\r\n\r\n\u00ff\u00fe',
      'From: "just a name"\r\nSubject: no address\r\nMessage-ID: <no-address@customer.example>\r\n\r\nWho am I?\r\n',
      [
        'From: Cut Off <cut@customer.example>',
        'Subject: truncated MIME',
        'MIME-Version: 1.0',
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The text part is whole.',
        `--${boundary}`,
        'Content-Type: application/pdf; name="half.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQKJcfs',
      ].join('\r\n'),
      'From: Odd Charset <odd@customer.example>\r\nSubject: =?x-no-such-charset?Q?caf=E9?=\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\ncaf\u00e9 au lait\r\n',
      'From: Nul Byte <nul@customer.example>\r\nSubject: before\u0000after\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbefore\u0000after\r\n',
      message({ from: 'Fine Person <fine@customer.example>', to: IMAP_USER, subject: 'A normal message' }).raw,
    ];
    for (const raw of inputs) await appendToMailbox(IMAP_USER, Buffer.from(raw, 'latin1'));

    await expect.poll(async () => (await capturesOf('imap')).length, { timeout: 30_000 }).toBe(inputs.length);
    // Messages from different senders are captured side by side, so they are told apart by content.
    const captured = await capturesOf('imap');
    const pick = (test: (capture: Capture) => boolean) => {
      const found = captured.filter(test);
      expect(found).toHaveLength(1);
      return found[0];
    };
    const big = pick((c) => c.subject === 'A very large message');
    const junk = pick((c) => c.subject === null && c.kind === 'quarantined');
    const nameOnly = pick((c) => c.subject === 'no address');
    const truncated = pick((c) => c.subject === 'truncated MIME');
    const charset = pick((c) => c.body.includes('au lait'));
    const nul = pick((c) => /^before\uFFFD?after/u.test(c.body));
    const fine = pick((c) => c.subject === 'A normal message');

    expect(big).toMatchObject({ kind: 'quarantined', state: 'discarded', raw_truncated: true, subject: 'A very large message' });
    expect(big!.reason).toMatch(/^message_too_large: \d+ bytes, limit 1048576$/);
    expect(big!.size).toBeGreaterThan(30 * 1024 * 1024);
    expect(big!.raw_length).toBeLessThanOrEqual(64 * 1024);
    expect(big!.discard_reason).toBe(`quarantined: ${big!.reason}`);

    expect(junk).toMatchObject({ kind: 'quarantined', state: 'discarded', raw_truncated: false });
    expect(junk!.reason).toMatch(/^(unparseable|no_from): /);
    expect(nameOnly).toMatchObject({ kind: 'quarantined', reason: 'no_from: From header has no usable address: "just a name"' });

    expect(truncated).toMatchObject({ kind: 'new', state: 'queued' });
    expect(truncated!.body).toContain('The text part is whole.');
    expect(charset).toMatchObject({ kind: 'new', state: 'queued' });
    expect(charset!.body).toContain('au lait');
    // Dovecot hands NUL out as 0x80 (read as U+FFFD); a NUL that does arrive is dropped (see below).
    expect(nul).toMatchObject({ kind: 'new', state: 'queued' });
    expect(nul!.subject).toMatch(/^before\uFFFD?after$/u);
    expect(nul!.body.trim()).toMatch(/^before\uFFFD?after$/u);
    expect(fine).toMatchObject({ kind: 'new', state: 'queued', subject: 'A normal message' });

    await expect.poll(async () => (await listMailbox(IMAP_USER)).length, { timeout: 10_000 }).toBe(0);
    const [state] = await sb.database.sql<{ failures: number }[]>`select failures from email_mailboxes where id = 'imap'`;
    expect(state!.failures).toBe(0);

    // Supervisors find them in the quarantine list; the raw bytes are kept for them.
    const admin = client(sb.url, TOKENS.admin);
    const listed = await admin.get<{ messages: { reason: string; messageId: string }[] }>('/api/email/quarantine');
    expect(listed.body.messages.map((m) => m.reason)).toEqual(expect.arrayContaining([big!.reason, nameOnly!.reason]));
    const entry = listed.body.messages.find((m) => m.reason === nameOnly!.reason)!;
    const raw = await fetch(`${sb.url}/api/email/messages/${entry.messageId}/raw`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(raw.status).toBe(200);
    expect(await raw.text()).toContain('Who am I?');
  });

  it('drops NUL characters, which Postgres text cannot hold, instead of failing the capture', async () => {
    const mailbox = sb.engine.config.current().mailboxes.find((m) => m.id === 'imap')!;
    const raw = Buffer.from(
      'From: "Nul\u0000Name" <nul@customer.example>\r\nSubject: before\u0000after\r\nX-Odd: a\u0000b\r\nContent-Type: text/plain\r\n\r\nbody\u0000text\r\n',
      'latin1',
    );
    const outcome = await captureMessage(
      { engine: sb.engine, directory: new EmailDirectory(sb.engine.config), logger: pino({ level: 'silent' }) },
      // A copy under a UIDVALIDITY the folder does not have, so the pollers never act on it.
      { mailbox, copy: { protocol: 'imap', uidValidity: '1', uid: 1 }, raw, size: raw.length, truncated: false },
    );
    expect(outcome).toMatchObject({ status: 'captured', kind: 'new' });
    const [row] = await sb.database.sql<{ subject: string; body: string; headers: Record<string, string[]> }[]>`
      select m.subject, m.body, e.headers from messages m join email_messages e on e.message_id = m.id
      where m.id = ${outcome.status === 'captured' ? outcome.messageId : ''}`;
    expect(row).toMatchObject({ subject: 'beforeafter', body: expect.stringContaining('bodytext') });
    expect(row!.headers['x-odd']).toEqual(['ab']);
  });

  it('reads only the header section of a message too large for the limit over POP3, and quarantines it', async () => {
    const after = message({ from: 'Fine Person <fine@customer.example>', to: POP3_USER, subject: 'After the large one' });
    await appendToMailbox(POP3_USER, huge(2 * LIMIT, POP3_USER));
    await appendToMailbox(POP3_USER, after.raw);
    await expect.poll(async () => (await capturesOf('pop3')).length, { timeout: 20_000 }).toBe(2);
    const [big, fine] = await capturesOf('pop3');
    expect(big).toMatchObject({ kind: 'quarantined', raw_truncated: true, subject: 'A very large message' });
    expect(big!.reason).toMatch(/^message_too_large: \d+ bytes, limit 1048576$/);
    expect(big!.raw_length).toBeLessThan(4 * 1024);
    expect(fine).toMatchObject({ kind: 'new', subject: 'After the large one' });
    await expect.poll(async () => (await listMailbox(POP3_USER)).length, { timeout: 10_000 }).toBe(0);
  });
});
