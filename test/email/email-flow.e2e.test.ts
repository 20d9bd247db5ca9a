/**
 * The email channel end to end, against the real Dovecot (IMAP) and a real SMTP server: a customer's
 * mail becomes an interaction, is acknowledged once and offered to an agent; the agent's reply goes
 * out threaded; the customer's answer joins the open interaction; after it closed, the next answer is
 * targeted at the same agent and overflows to the workgroup; automatic answers and bounces are
 * discarded and never acknowledged; HTML is sanitized; a broken message is quarantined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS } from '../support/configs.ts';
import { client, openEventStream } from '../support/http-client.ts';
import { appendToMailbox, clearMailbox, listMailbox, startSmtpSink, type ReceivedMail, type SmtpSink } from '../support/mail-servers.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';
import { emailConfig, imapMailbox } from './support/email-config.ts';
import { bounce, message, outOfOffice } from './support/messages.ts';

const USER = 'support@example.test';
const CUSTOMER = 'jane@customer.example';

let sb: TestSwitchboard;
let sink: SmtpSink;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const references = (mail: ReceivedMail): string[] => {
  const value = mail.parsed.references;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
};

beforeAll(async () => {
  sink = await startSmtpSink();
  await clearMailbox(USER);
  sb = await startTestSwitchboard(emailConfig({ smtpPort: sink.port, mailboxes: [imapMailbox('support', USER)] }));
});

afterAll(async () => {
  await sb?.stop();
  await sink?.close();
  await clearMailbox(USER);
});

async function interactionOf(rfcMessageId: string) {
  const [row] = await sb.database.sql<{ id: string; state: string; state_path: string; discard_reason: string | null; target_agent_id: string | null; reference: string }[]>`
    select i.id, i.state, i.state_path, i.discard_reason, i.target_agent_id, i.reference::text as reference
    from messages m join interactions i on i.id = m.interaction_id where m.external_id = ${rfcMessageId} and m.direction = 'in'`;
  return row;
}

describe('the email channel', () => {
  const alice = () => client(sb.url, TOKENS.alice);
  const state: { id: string; reference: number; original: string; reply: string } = { id: '', reference: 0, original: '', reply: '' };

  it('turns mail in the mailbox into an interaction, acknowledges it once and offers it to an agent', async () => {
    const events = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    expect((await alice().put('/api/me/status', { status: 'available' })).status).toBe(200);
    const original = message({ subject: 'Refund for invoice 77', body: 'I was charged twice for invoice 77.' });
    await appendToMailbox(USER, original.raw);

    const offer = await events.next('offer', (e) => e.data.channel === 'email');
    const id = String(offer.data.interactionId);
    expect((await alice().post(`/api/interactions/${id}/accept`)).status).toBe(200);
    expect(offer.data).toMatchObject({ from: CUSTOMER, subject: 'Refund for invoice 77', category: 'billing' });
    expect(offer.data.contactId).toEqual(expect.any(String));
    const reference = Number(offer.data.reference);
    Object.assign(state, { id, reference, original: original.messageId });

    const [ack] = await sink.waitForMessages(1);
    expect(ack!.envelope).toEqual({ mailFrom: 'support@example.test', rcptTo: [CUSTOMER] });
    expect(ack!.parsed.subject).toBe(`We received your message [SB#${reference}]`);
    expect(ack!.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ack!.parsed.inReplyTo).toBe(original.messageId);
    expect(references(ack!)).toContain(original.messageId);
    expect(ack!.parsed.text).toContain('Dear Jane Customer');
    expect(ack!.parsed.text).toContain(`Your reference number is ${reference}.`);
    expect(ack!.parsed.from?.value[0]).toMatchObject({ address: 'support@example.test', name: 'Example Support' });

    // Deleted from the mailbox once captured; later polls capture and acknowledge nothing more.
    await expect.poll(async () => (await listMailbox(USER)).length, { timeout: 10_000 }).toBe(0);
    await sleep(1_000);
    expect(sink.messages).toHaveLength(1);
    const [count] = await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions where channel = 'email'`;
    expect(count!.n).toBe(1);

    const detail = await alice().get<{ messages: { direction: string; status: string }[]; state: string }>(`/api/interactions/${id}`);
    expect(detail.body.state).toBe('active');
    await expect
      .poll(async () => (await alice().get<{ messages: { direction: string; status: string }[] }>(`/api/interactions/${id}`)).body.messages.map((m) => `${m.direction}:${m.status}`))
      .toEqual(['in:received', 'out:sent']);
    const history = await alice().get<{ events: { type: string; event: { sent?: boolean } }[] }>(`/api/interactions/${id}/history`);
    expect(history.body.events.find((e) => e.type === 'ACKNOWLEDGE')?.event.sent).toBe(true);
    await events.close();
  });

  it("sends the agent's reply with Re: subject, reference token and threading headers", async () => {
    const reply = await alice().post<{ messageId: string }>(`/api/interactions/${state.id}/reply`, { body: 'Your refund is on its way.' });
    expect(reply.status).toBe(201);
    const mails = await sink.waitForMessages(2);
    const sent = mails[1]!;
    const expectedId = `<${reply.body.messageId}.sb@example.test>`;
    expect(sent.parsed.messageId).toBe(expectedId);
    expect(sent.parsed.subject).toBe(`Re: [SB#${state.reference}] Refund for invoice 77`);
    expect(sent.parsed.inReplyTo).toBe(state.original);
    expect(references(sent)).toEqual([state.original]);
    expect(sent.parsed.headers.get('auto-submitted')).toBeUndefined();
    expect(sent.parsed.text?.trim()).toBe('Your refund is on its way.');
    expect(sent.envelope.rcptTo).toEqual([CUSTOMER]);
    state.reply = expectedId;

    await expect
      .poll(async () => {
        const [row] = await sb.database.sql<{ status: string; external_id: string | null; subject: string }[]>`
          select status, external_id, subject from messages where id = ${reply.body.messageId}`;
        return row;
      })
      .toEqual({ status: 'sent', external_id: expectedId, subject: `Re: [SB#${state.reference}] Refund for invoice 77` });
  });

  it("appends the customer's answer to the open interaction and notifies its agent, without acknowledging", async () => {
    const events = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    const answer = message({
      subject: `Re: [SB#${state.reference}] Refund for invoice 77`,
      inReplyTo: state.reply,
      references: [state.original, state.reply],
      body: 'Thanks! When will it arrive?',
    });
    await appendToMailbox(USER, answer.raw);
    const notice = await events.next('customer_message', (e) => e.data.interactionId === state.id);
    expect(notice.data.messageId).toEqual(expect.any(String));
    const detail = await alice().get<{ messages: { direction: string; body: string }[] }>(`/api/interactions/${state.id}`);
    expect(detail.body.messages.map((m) => m.direction)).toEqual(['in', 'out', 'out', 'in']);
    expect(detail.body.messages[3]!.body.trim()).toBe('Thanks! When will it arrive?');
    await sleep(600);
    expect(sink.messages).toHaveLength(2);
    state.original = answer.messageId;
    await events.close();
  });

  it('targets the next answer after closing at the same agent, and overflows to the workgroup after the timeout', async () => {
    const bobEvents = await openEventStream(`${sb.url}/api/me/events`, TOKENS.bob);
    const bob = client(sb.url, TOKENS.bob);
    expect((await alice().post(`/api/interactions/${state.id}/done`)).status).toBe(200);
    expect((await alice().post(`/api/interactions/${state.id}/wrap-up`, { disposition: 'resolved' })).body).toMatchObject({ state: 'closed' });

    // While Alice is away, Bob is free: the answer still waits for Alice until the category's overflow (2 s).
    expect((await alice().put('/api/me/status', { status: 'not_ready', reason: 'Lunch' })).status).toBe(200);
    expect((await bob.put('/api/me/status', { status: 'available' })).status).toBe(200);
    const later = message({
      subject: `Re: [SB#${state.reference}] Refund for invoice 77`,
      inReplyTo: state.reply,
      references: [state.original, state.reply],
      body: 'It has not arrived yet.',
    });
    await appendToMailbox(USER, later.raw);
    await expect.poll(async () => (await interactionOf(later.messageId))?.state_path, { timeout: 10_000 }).toBe('queued.targeted');
    const waiting = (await interactionOf(later.messageId))!;
    expect(waiting.id).not.toBe(state.id);
    expect(waiting.target_agent_id).toBe('alice');

    const offer = await bobEvents.next('offer', (e) => e.data.interactionId === waiting.id, 10_000);
    expect(offer.data).toMatchObject({ category: 'billing', from: CUSTOMER });
    expect((offer.data.contactHistory as { id: string }[]).map((h) => h.id)).toContain(state.id);
    const history = await sb.database.sql<{ type: string; at: Date; agent_id: string | null }[]>`
      select type, at, agent_id from interaction_events where interaction_id = ${waiting.id} order by seq`;
    expect(history.map((e) => e.type)).toEqual(['xstate.init', 'ACKNOWLEDGE', 'CATEGORIZE', 'ENQUEUE', 'timer.overflow', 'OFFER']);
    const enqueued = history.find((e) => e.type === 'ENQUEUE')!.at.getTime();
    const overflowed = history.find((e) => e.type === 'timer.overflow')!.at.getTime();
    expect(overflowed - enqueued).toBeGreaterThanOrEqual(1_950);
    expect(history.at(-1)!.agent_id).toBe('bob');
    const [link] = await sb.database.sql<{ metadata: { previousInteractionId?: string } }[]>`
      select metadata from messages where external_id = ${later.messageId}`;
    expect(link!.metadata.previousInteractionId).toBe(state.id);
    // Replies are never acknowledged.
    expect(sink.messages).toHaveLength(2);
    await bob.post(`/api/interactions/${waiting.id}/decline`);
    await bob.put('/api/me/status', { status: 'not_ready', reason: 'Meeting' });
    await bobEvents.close();
  });

  it('discards an auto-reply and a bounce with their reasons, never acknowledges them, and marks the bounced reply undelivered', async () => {
    const events = await openEventStream(`${sb.url}/api/me/events`, TOKENS.alice);
    const sent = sink.messages.length;
    const away = outOfOffice({ inReplyTo: state.reply });
    const report = bounce({ bouncedMessageId: state.reply, recipient: CUSTOMER });
    await appendToMailbox(USER, away.raw);
    await appendToMailbox(USER, report.raw);

    await expect.poll(async () => (await interactionOf(away.messageId))?.state, { timeout: 10_000 }).toBe('discarded');
    expect((await interactionOf(away.messageId))!.discard_reason).toBe('auto_reply: header auto-submitted: auto-replied');
    await expect.poll(async () => (await interactionOf(report.messageId))?.state, { timeout: 10_000 }).toBe('discarded');
    expect((await interactionOf(report.messageId))!.discard_reason).toMatch(/^ndr: RFC 3464 report/);

    const undelivered = await events.next('message_undelivered', (e) => e.data.interactionId === state.id);
    const [reply] = await sb.database.sql<{ status: string; metadata: { bounce?: { reason: string } } }[]>`
      select status, metadata from messages where id = ${String(undelivered.data.messageId)}`;
    expect(reply!.status).toBe('undelivered');
    expect(reply!.metadata.bounce?.reason).toMatch(/RFC 3464/);
    expect(state.reply).toContain(String(undelivered.data.messageId));

    await sleep(800);
    expect(sink.messages).toHaveLength(sent);
    await events.close();
  });

  it('shows agents only sanitized HTML', async () => {
    const admin = client(sb.url, TOKENS.admin);
    const html = message({
      from: 'Max Mustermann <max@customer.example>',
      subject: 'Formatted question',
      body: 'Hi there',
      html: '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">link</a>',
    });
    await appendToMailbox(USER, html.raw);
    await expect.poll(async () => (await interactionOf(html.messageId))?.state, { timeout: 10_000 }).toBeDefined();
    const [row] = await sb.database.sql<{ id: string }[]>`select id from messages where external_id = ${html.messageId}`;
    const detail = await admin.get<{ html: string; rfcMessageId: string; addresses: { from: { address: string }[] } }>(`/api/email/messages/${row!.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.rfcMessageId).toBe(html.messageId);
    expect(detail.body.addresses.from[0]!.address).toBe('max@customer.example');
    expect(detail.body.html).toContain('<b>there</b>');
    expect(detail.body.html).not.toMatch(/script|onerror|onclick|javascript:/i);
    // Agents who have nothing to do with it may not read it.
    expect((await alice().get(`/api/email/messages/${row!.id}`)).status).toBe(403);
  });

  it('quarantines a message without a sender, lists it, and keeps polling', async () => {
    const admin = client(sb.url, TOKENS.admin);
    await appendToMailbox(USER, 'Subject: nobody sent this\r\nMessage-ID: <broken-1@nowhere.example>\r\n\r\nNo From header at all.\r\n');
    const after = message({ from: 'Ola Nordmann <ola@customer.example>', subject: 'Still working?' });
    await appendToMailbox(USER, after.raw);
    await expect.poll(async () => (await interactionOf(after.messageId))?.state, { timeout: 10_000 }).toBeDefined();

    const listed = await admin.get<{ messages: { reason: string; subject: string; interactionId: string }[] }>('/api/email/quarantine');
    expect(listed.status).toBe(200);
    const entry = listed.body.messages.find((m) => m.subject === 'nobody sent this');
    expect(entry?.reason).toBe('no_from: no From header');
    const quarantined = await admin.get<{ state: string; discardReason: string }>(`/api/interactions/${entry!.interactionId}`);
    expect(quarantined.body).toMatchObject({ state: 'discarded', discardReason: 'quarantined: no_from: no From header' });
    expect((await alice().get('/api/email/quarantine')).status).toBe(403);

    await expect.poll(async () => (await listMailbox(USER)).length, { timeout: 10_000 }).toBe(0);
    const health = await client(sb.url).get<{ email: { mailboxes: { id: string; status: string; failures: number }[] } }>('/healthz');
    expect(health.body.email.mailboxes).toEqual([expect.objectContaining({ id: 'support', status: 'ok', failures: 0 })]);
  });
});
