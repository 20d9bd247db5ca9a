/**
 * Outbound email against a real SMTP server: a temporary refusal is retried with backoff and the
 * reply arrives once; a permanent refusal marks it failed without retrying; a send repeated after the
 * server accepted it sends nothing (the acceptance is recorded); attachments go out with the reply;
 * and the loop guard acknowledges a sender at most once per window.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailDirectory } from '../../src/channels/email/email-directory.ts';
import { engineTransactions } from '../../src/channels/channel-sender.ts';
import { createEmailSender } from '../../src/channels/email/email-sender.ts';
import { SmtpTransports } from '../../src/channels/email/smtp-transport.ts';
import { TOKENS } from '../support/configs.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { appendToMailbox, clearMailbox, startSmtpSink, type SmtpSink } from '../support/mail-servers.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';
import { emailConfig, imapMailbox } from './support/email-config.ts';
import { message } from './support/messages.ts';

const USER = 'support@example.test';

let sb: TestSwitchboard;
let sink: SmtpSink;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  sink = await startSmtpSink();
  await clearMailbox(USER);
  sb = await startTestSwitchboard(emailConfig({ smtpPort: sink.port, mailboxes: [imapMailbox('support', USER)] }));
  await client(sb.url, TOKENS.alice).put('/api/me/status', { status: 'available' });
});

afterAll(async () => {
  await sb?.stop();
  await sink?.close();
  await clearMailbox(USER);
});

/** An email interaction (entered through the API, so nothing is acknowledged) that Alice holds. */
async function heldByAlice(subject: string): Promise<string> {
  const events = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
  const created = await client(sb.url, TOKENS.admin).post<{ id: string }>('/api/interactions', {
    channel: 'email',
    from: 'pat@customer.example',
    to: 'support@example.test',
    subject,
    body: 'Please help.',
  });
  await events.next('offer', (e) => e.data.interactionId === created.body.id);
  expect((await client(sb.url, TOKENS.alice).post(`/api/interactions/${created.body.id}/accept`)).status).toBe(200);
  await events.close();
  return created.body.id;
}

/** Alice finishes it, so her capacity is free for the next test. */
async function finish(id: string): Promise<void> {
  const alice = client(sb.url, TOKENS.alice);
  expect((await alice.post(`/api/interactions/${id}/done`)).status).toBe(200);
  expect((await alice.post(`/api/interactions/${id}/wrap-up`, { disposition: 'resolved' })).status).toBe(200);
}

async function messageRow(id: string) {
  const [row] = await sb.database.sql<{ status: string; metadata: { error?: { code: string } } }[]>`select status, metadata from messages where id = ${id}`;
  return row;
}

async function sendRecord(id: string) {
  const [row] = await sb.database.sql<{ status: string; attempts: number }[]>`select status, attempts from email_sends where message_id = ${id}`;
  return row;
}

describe('outbound email', () => {
  it('retries a temporary refusal with backoff and delivers the reply once', async () => {
    const id = await heldByAlice('Temporary trouble');
    const before = sink.messages.length;
    sink.failNext(1, 451);
    const reply = await client(sb.url, TOKENS.alice).post<{ messageId: string }>(`/api/interactions/${id}/reply`, { body: 'On it.' });
    await sink.waitForMessages(before + 1, 15_000);
    await expect.poll(async () => (await messageRow(reply.body.messageId))?.status, { timeout: 10_000 }).toBe('sent');
    expect(await sendRecord(reply.body.messageId)).toEqual({ status: 'accepted', attempts: 2 });
    await sleep(1_500);
    expect(sink.messages.filter((m) => m.parsed.messageId === `<${reply.body.messageId}.sb@example.test>`)).toHaveLength(1);
    await finish(id);
  });

  it('marks a reply the server refuses for good as failed, without retrying', async () => {
    const id = await heldByAlice('Refused');
    const before = sink.messages.length;
    sink.failNext(1, 550, 'Mailbox unavailable');
    const reply = await client(sb.url, TOKENS.alice).post<{ messageId: string }>(`/api/interactions/${id}/reply`, { body: 'This will bounce.' });
    await expect.poll(async () => (await messageRow(reply.body.messageId))?.status, { timeout: 10_000 }).toBe('failed');
    expect((await messageRow(reply.body.messageId))!.metadata.error?.code).toBe('EMAIL_REJECTED');
    expect(await sendRecord(reply.body.messageId)).toEqual({ status: 'rejected', attempts: 1 });
    await sleep(2_500);
    expect(sink.messages).toHaveLength(before);
    await finish(id);
  });

  it('sends nothing again when a send is repeated after the server accepted it', async () => {
    const id = await heldByAlice('Sent twice?');
    const reply = await client(sb.url, TOKENS.alice).post<{ messageId: string }>(`/api/interactions/${id}/reply`, { body: 'Once only.' });
    await expect.poll(async () => (await messageRow(reply.body.messageId))?.status, { timeout: 10_000 }).toBe('sent');
    const count = sink.messages.length;

    // As if the job were run again after the server accepted (e.g. the worker died before marking it sent).
    const [row] = await sb.database.sql<{ from_address: string; to_address: string; subject: string; body: string }[]>`
      select from_address, to_address, subject, body from messages where id = ${reply.body.messageId}`;
    const transports = new SmtpTransports();
    const sender = createEmailSender({ sql: sb.database.sql, transaction: engineTransactions(sb.engine), directory: new EmailDirectory(sb.engine.config), transports, logger: pino({ level: 'silent' }) });
    const outbound = { id: reply.body.messageId, interactionId: id, channel: 'email', fromAddress: row!.from_address, toAddress: row!.to_address, subject: row!.subject, body: row!.body, metadata: {} };
    const again = await sender.send(outbound);
    const onceMore = await sender.send(outbound);
    transports.close();
    expect(again.externalId).toBe(`<${reply.body.messageId}.sb@example.test>`);
    expect(onceMore.externalId).toBe(again.externalId);
    await sleep(300);
    expect(sink.messages).toHaveLength(count);
    expect(await sendRecord(reply.body.messageId)).toEqual({ status: 'accepted', attempts: 1 });
    await finish(id);
  });

  it('sends attachments with an email reply and lists them on the sent message', async () => {
    const id = await heldByAlice('Invoice copy');
    const pdf = Buffer.from('%PDF-1.4\n% not really a PDF, but bytes all the same \u00ff\n', 'latin1');
    const reply = await client(sb.url, TOKENS.alice).post<{ messageId: string }>(`/api/interactions/${id}/email-reply`, {
      body: 'Here is the copy you asked for.',
      attachments: [{ filename: 'invoice-77.pdf', contentType: 'application/pdf', content: pdf.toString('base64') }],
    });
    expect(reply.status).toBe(201);
    const expected = `<${reply.body.messageId}.sb@example.test>`;
    await expect.poll(() => sink.messages.some((m) => m.parsed.messageId === expected), { timeout: 10_000 }).toBe(true);
    const sent = sink.messages.find((m) => m.parsed.messageId === expected)!;
    expect(sent.parsed.subject).toMatch(/^Re: \[SB#\d+\] Invoice copy$/);
    expect(sent.parsed.attachments.map((a) => [a.filename, a.contentType, a.content.equals(pdf)])).toEqual([['invoice-77.pdf', 'application/pdf', true]]);

    const detail = await client(sb.url, TOKENS.alice).get<{ direction: string; rfcMessageId: string; attachments: { id: string; filename: string }[] }>(
      `/api/email/messages/${reply.body.messageId}`,
    );
    expect(detail.body).toMatchObject({ direction: 'out', rfcMessageId: expected, attachments: [{ filename: 'invoice-77.pdf' }] });
    const download = await fetch(`${sb.url}/api/email/attachments/${detail.body.attachments[0]!.id}`, { headers: { authorization: `Bearer ${TOKENS.alice}` } });
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="invoice-77.pdf"/);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);

    // Only the agent holding an email interaction may reply to it this way.
    const bob = await client(sb.url, TOKENS.bob).post(`/api/interactions/${id}/email-reply`, { body: 'Me too' });
    expect(bob.status).toBe(403);
    await finish(id);
  });

  it('acknowledges a sender at most once within the window', async () => {
    const before = sink.messages.length;
    const first = message({ from: 'Loop Py <loopy@customer.example>', subject: 'Question one' });
    const second = message({ from: 'Loop Py <loopy@customer.example>', subject: 'Question two' });
    await appendToMailbox(USER, first.raw);
    await appendToMailbox(USER, second.raw);
    await expect
      .poll(async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions where from_address = 'loopy@customer.example'`)[0]!.n, { timeout: 10_000 })
      .toBe(2);
    await sleep(1_000);
    const acknowledgements = sink.messages.slice(before).filter((m) => m.envelope.rcptTo.includes('loopy@customer.example'));
    expect(acknowledgements).toHaveLength(1);
    expect(acknowledgements[0]!.parsed.inReplyTo).toBe(first.messageId);
    const acknowledged = await sb.database.sql<{ sent: boolean }[]>`
      select (e.event ->> 'sent')::boolean as sent from interaction_events e join interactions i on i.id = e.interaction_id
      where i.from_address = 'loopy@customer.example' and e.type = 'ACKNOWLEDGE' order by i.reference`;
    expect(acknowledged.map((row) => row.sent)).toEqual([true, false]);
  });
});
