// The test mail servers are real: Dovecot over IMAP and POP3, and an SMTP sink driven by nodemailer.
import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import Pop3Command from 'node-pop3';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  appendToMailbox,
  clearMailbox,
  dovecotImap,
  dovecotPop3,
  listMailbox,
  startSmtpSink,
} from '../support/mail-servers.ts';
import type { SmtpSink } from '../support/mail-servers.ts';

const USER = 'orders@example.test';

function sampleMessage(messageId: string): string {
  return [
    'From: Customer <customer@example.test>',
    `To: ${USER}`,
    'Subject: Where is my order?',
    `Message-ID: ${messageId}`,
    'Date: Tue, 01 Apr 2025 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Order 1042 has not arrived.',
    '',
  ].join('\r\n');
}

describe('Dovecot', () => {
  beforeEach(async () => {
    await clearMailbox(USER);
  });

  it('stores a message appended over IMAP and serves it back over IMAP', async () => {
    const messageId = `<${randomUUID()}@example.test>`;
    const uid = await appendToMailbox(USER, sampleMessage(messageId));
    expect(uid).toBeGreaterThan(0);

    const client = new ImapFlow(dovecotImap(USER));
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        const messages = await client.fetchAll('1:*', { envelope: true, source: true, uid: true });
        expect(messages).toHaveLength(1);
        expect(messages[0]?.uid).toBe(uid);
        expect(messages[0]?.envelope?.messageId).toBe(messageId);
        expect(messages[0]?.source?.toString()).toContain('Order 1042 has not arrived.');
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('serves the same message over POP3', async () => {
    const messageId = `<${randomUUID()}@example.test>`;
    await appendToMailbox(USER, sampleMessage(messageId));

    const pop3 = new Pop3Command(dovecotPop3(USER));
    try {
      const stat = await pop3.STAT();
      expect(stat.split(' ')[0]).toBe('1');
      const raw = await pop3.RETR(1);
      expect(raw).toContain(`Message-ID: ${messageId}`);
      expect(raw).toContain('Order 1042 has not arrived.');
    } finally {
      await pop3.QUIT();
    }
  });

  it('keeps folders apart and lists and clears them', async () => {
    await appendToMailbox(USER, sampleMessage(`<${randomUUID()}@example.test>`), 'Sent');
    expect(await listMailbox(USER, 'INBOX')).toHaveLength(0);
    const sent = await listMailbox(USER, 'Sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.raw.toString()).toContain('Where is my order?');
    await clearMailbox(USER);
    expect(await listMailbox(USER, 'Sent')).toHaveLength(0);
  });

  it('refuses a wrong password', async () => {
    const client = new ImapFlow({ ...dovecotImap(USER), auth: { user: USER, pass: 'wrong' } });
    await expect(client.connect()).rejects.toThrow();
    client.close();
  });
});

describe('SMTP sink', () => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });

  afterAll(async () => {
    await sink.close();
  });

  const transport = () =>
    nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false, ignoreTLS: true });

  it('records envelope, headers and body of what nodemailer sends', async () => {
    const before = sink.messages.length;
    const info = await transport().sendMail({
      from: 'Support <support@example.test>',
      to: 'customer@example.test',
      cc: 'billing@example.test',
      subject: 'Re: [SB#1042] Where is my order?',
      text: 'It ships today.',
      inReplyTo: '<original@example.test>',
      references: ['<original@example.test>'],
      headers: { 'Auto-Submitted': 'no' },
    });
    const [received] = (await sink.waitForMessages(before + 1)).slice(before);
    expect(received?.envelope).toEqual({
      mailFrom: 'support@example.test',
      rcptTo: ['customer@example.test', 'billing@example.test'],
    });
    expect(received?.parsed.messageId).toBe(info.messageId);
    expect(received?.parsed.subject).toBe('Re: [SB#1042] Where is my order?');
    expect(received?.parsed.inReplyTo).toBe('<original@example.test>');
    expect(received?.parsed.headers.get('auto-submitted')).toBe('no');
    expect(received?.parsed.text?.trim()).toBe('It ships today.');
    expect(received?.raw.toString()).toContain('In-Reply-To: <original@example.test>');
  });

  it('fails the next transactions with the requested codes, then accepts again', async () => {
    const before = sink.messages.length;
    const mail = { from: 'support@example.test', to: 'customer@example.test', subject: 'retry', text: 'x' };

    sink.failNext(1, 451, 'Try again later');
    await expect(transport().sendMail(mail)).rejects.toMatchObject({ responseCode: 451 });

    sink.failNext(1, 550, 'No such user');
    await expect(transport().sendMail(mail)).rejects.toMatchObject({ responseCode: 550 });

    await transport().sendMail(mail);
    expect(await sink.waitForMessages(before + 1)).toHaveLength(before + 1);
  });
});
