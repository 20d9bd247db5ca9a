import { describe, expect, it, vi } from 'vitest';
import { classifyMessage } from '../../src/channels/email/classify.ts';
import type { ThreadLookups } from '../../src/channels/email/classify.ts';
import { parseMessage } from '../../src/channels/email/parse-message.ts';
import type { ParsedMessage } from '../../src/channels/email/parse-message.ts';

interface Draft {
  from?: string;
  subject?: string;
  headers?: string[];
  body?: string;
  contentType?: string;
}

async function message({ from = 'Customer <customer@example.test>', subject = 'Question', headers = [], body = 'Hello', contentType }: Draft = {}): Promise<ParsedMessage> {
  const lines = [`From: ${from}`, 'To: support@example.test', `Subject: ${subject}`, 'Message-ID: <new@example.test>', ...headers];
  if (contentType) lines.push(`Content-Type: ${contentType}`);
  const raw = Buffer.from([...lines, '', body, ''].join('\r\n'));
  const parsed = await parseMessage(raw);
  if (parsed.quarantined) throw new Error(parsed.reason);
  return parsed;
}

function lookups(known: string[] = [], threads: Record<number, string[]> = {}): ThreadLookups {
  return {
    knownMessageIds: vi.fn(async (ids: string[]) => ids.filter((id) => known.includes(id))),
    threadSenderForReference: vi.fn(async (n: number) => threads[n] ?? null),
  };
}

const dsn = (inner: string, action = 'failed'): Draft => ({
  from: 'Mail Delivery System <MAILER-DAEMON@mx.example.test>',
  subject: 'Undelivered Mail Returned to Sender',
  contentType: 'multipart/report; report-type=delivery-status; boundary="r"',
  body: [
    '--r',
    'Content-Type: text/plain',
    '',
    'I could not deliver your message.',
    '--r',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.test',
    '',
    'Final-Recipient: rfc822; gone@example.org',
    `Action: ${action}`,
    'Status: 5.1.1',
    '--r',
    inner,
    '--r--',
  ].join('\r\n'),
});

describe('classifyMessage: non-delivery reports', () => {
  it('reads an RFC 3464 report and the bounced Message-ID from message/rfc822', async () => {
    const result = await classifyMessage(
      await message(dsn('Content-Type: message/rfc822\r\n\r\nFrom: support@example.test\r\nMessage-ID: <ours-1@example.test>\r\n\r\nhi')),
    );
    expect(result).toMatchObject({ kind: 'ndr', bouncedMessageId: '<ours-1@example.test>', deliveryAction: 'failed' });
    expect(result.reason).toContain('RFC 3464');
  });

  it('reads text/rfc822-headers and reports delays as such', async () => {
    const result = await classifyMessage(
      await message(dsn('Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: <ours-2@example.test>\r\nSubject: x', 'delayed')),
    );
    expect(result).toMatchObject({ kind: 'ndr', bouncedMessageId: '<ours-2@example.test>', deliveryAction: 'delayed' });
  });

  it('wins over auto-reply headers and thread headers', async () => {
    const draft = dsn('Content-Type: message/rfc822\r\n\r\nMessage-ID: <ours-3@example.test>\r\n\r\nhi');
    draft.headers = ['Auto-Submitted: auto-replied', 'In-Reply-To: <ours-3@example.test>'];
    expect((await classifyMessage(await message(draft), lookups(['<ours-3@example.test>']))).kind).toBe('ndr');
  });

  it.each([
    ['MAILER-DAEMON@mx.example.test', 'Returned'],
    ['Mail Delivery Subsystem <mailer-daemon@googlemail.com>', 'Delivery Status Notification (Failure)'],
    ['postmaster@example.org', 'Notice'],
    ['MAILER-DAEMON', 'failure notice'],
  ])('recognises the system sender %s', async (from, subject) => {
    const result = await classifyMessage(await message({ from, subject }));
    expect(result.kind).toBe('ndr');
    expect(result.reason).toContain('sender is');
  });

  it.each([
    'Undeliverable: Your order 1042',
    'Unzustellbar: Ihre Bestellung',
    'Non remis : votre commande',
    'Delivery Status Notification (Failure)',
    'Delivery Status Notification (Delay)',
    'failure notice',
    'Failure Notice',
    'Undelivered Mail Returned to Sender',
    'Mail delivery failed: returning message to sender',
    'Returned mail: see transcript for details',
    'Delivery has failed to these recipients or groups',
  ])('recognises the bounce subject %j from an ordinary-looking sender', async (subject) => {
    const result = await classifyMessage(await message({ from: 'Exchange <exchange@example.org>', subject }));
    expect(result.kind).toBe('ndr');
  });

  it('finds the original Message-ID quoted in a non-standard bounce body', async () => {
    const body = [
      'Hi. This is the qmail-send program at mx.example.org.',
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      '',
      '--- Below this line is a copy of the message.',
      '',
      'Message-ID: <ours-4@example.test>',
      'Subject: Your order',
    ].join('\r\n');
    const result = await classifyMessage(await message({ from: 'robot@example.org', subject: 'Your order', headers: ['Return-Path: <>'], body }));
    expect(result).toMatchObject({ kind: 'ndr', bouncedMessageId: '<ours-4@example.test>' });
    expect(result.reason).toContain('qmail');
  });

  it('does not treat bounce text pasted by a customer as a bounce', async () => {
    const body = 'I got this:\r\n> Hi. This is the qmail-send program at mx.example.org.\r\n> Delivery has failed to these recipients or groups';
    const result = await classifyMessage(await message({ subject: 'Fwd: Undeliverable: Your order', body }), lookups());
    expect(result.kind).toBe('new');
  });
});

describe('classifyMessage: automatic replies', () => {
  it.each([
    'Auto-Submitted: auto-replied',
    'Auto-Submitted: auto-generated',
    'Auto-Submitted: auto-replied (vacation)',
    'Auto-Submitted: auto-notified; owner-email="boss@example.org"',
    'X-Autoreply: yes',
    'X-Autorespond: Out of office',
    'Precedence: auto_reply',
    'Precedence: bulk',
    'Precedence: junk',
    'X-Auto-Response-Suppress: All',
    'X-Auto-Response-Suppress: OOF, AutoReply',
    'X-Autogenerated: Reply',
    'X-Mail-Autoreply: yes',
    'X-Cron-Env: <SHELL=/bin/sh>',
    'X-FC-MachineGenerated: true',
    'X-AutoReply-From: customer@example.test',
    'X-POST-MessageClass: 9; Autoresponder',
    'Delivered-To: Autoresponder',
    'X-Loop: yes',
  ])('recognises %s', async (header) => {
    const result = await classifyMessage(await message({ headers: [header] }), lookups());
    expect(result.kind).toBe('auto_reply');
    expect(result.reason.toLowerCase()).toContain(header.split(':')[0]!.toLowerCase());
  });

  it.each([
    'Auto-Submitted: no',
    'Precedence: list',
    'X-MS-Exchange-Inbox-Rules-Loop: customer@example.test',
    'X-Autogenerated: Forward',
    'X-Loop: customer@example.test',
    'X-Auto-Response-Suppress: DR, RN, NRN',
    'X-Autoreply: no',
  ])('does not treat %s as an automatic reply', async (header) => {
    const result = await classifyMessage(await message({ headers: [header] }), lookups());
    expect(result.kind).toBe('new');
  });

  it.each([
    'Automatic reply: Your order',
    'Auto Reply: Your order',
    'Out of Office: Your order',
    'Out of the office',
    'Automatische Antwort: Ihre Bestellung',
    'Abwesenheitsnotiz: Ihre Bestellung',
    'Réponse automatique : Votre commande',
    'Respuesta automática: Su pedido',
    'Fuera de la oficina',
    'Risposta automatica: Il suo ordine',
    'Resposta automática: O seu pedido',
    'Automatisch antwoord: Uw bestelling',
    'Autosvar: Din beställning',
    'Automaattinen vastaus: Tilauksesi',
    'Automatyczna odpowiedź: Twoje zamówienie',
    'Автоматический ответ: Ваш заказ',
    '自動返信: ご注文',
    '自动回复: 您的订单',
    'AUTO: Jane Doe is out of the office (returning 02/01/2026)',
  ])('recognises the out-of-office subject %j', async (subject) => {
    const result = await classifyMessage(await message({ subject }), lookups());
    expect(result.kind).toBe('auto_reply');
    expect(result.reason).toContain('out-of-office subject');
  });

  it.each(['Re: Out of office hours support', 'Question about your auto reply feature', 'Auto: insurance claim'])(
    'keeps %j as a person writing',
    async (subject) => {
      expect((await classifyMessage(await message({ subject }), lookups())).kind).toBe('new');
    },
  );

  it('recognises a read receipt', async () => {
    const result = await classifyMessage(
      await message({ contentType: 'multipart/report; report-type=disposition-notification; boundary="m"', body: '--m\r\n\r\ndisplayed\r\n--m--' }),
    );
    expect(result.kind).toBe('auto_reply');
  });

  it('keeps thread hints on an out-of-office answer to one of our messages', async () => {
    const result = await classifyMessage(
      await message({ subject: 'Automatic reply: [SB#88] Your order', headers: ['In-Reply-To: <ours-5@example.test>'] }),
      lookups(['<ours-5@example.test>']),
    );
    expect(result).toMatchObject({ kind: 'auto_reply', threadMessageIds: ['<ours-5@example.test>'], referenceNumber: 88 });
  });
});

describe('classifyMessage: replies', () => {
  it('is a reply when In-Reply-To names a stored message', async () => {
    const result = await classifyMessage(await message({ headers: ['In-Reply-To: <ours-6@example.test>'] }), lookups(['<ours-6@example.test>']));
    expect(result).toMatchObject({ kind: 'reply', threadMessageIds: ['<ours-6@example.test>'] });
  });

  it('checks every id of In-Reply-To and References', async () => {
    const l = lookups(['<ours-8@example.test>']);
    const result = await classifyMessage(
      await message({ headers: ['In-Reply-To: <x@example.org> <y@example.org>', 'References: <ours-8@example.test> <x@example.org>'] }),
      l,
    );
    expect(l.knownMessageIds).toHaveBeenCalledWith(['<x@example.org>', '<y@example.org>', '<ours-8@example.test>']);
    expect(result).toMatchObject({ kind: 'reply', threadMessageIds: ['<ours-8@example.test>'] });
  });

  it('is new when the thread headers name nothing stored', async () => {
    const result = await classifyMessage(await message({ headers: ['In-Reply-To: <elsewhere@example.org>'] }), lookups());
    expect(result.kind).toBe('new');
    expect(result.reason).toContain('name no stored message');
  });

  it('does not ask for ids when there are none', async () => {
    const l = lookups();
    await classifyMessage(await message(), l);
    expect(l.knownMessageIds).not.toHaveBeenCalled();
  });

  it('is a reply when the subject token comes from a participant, compared case-insensitively', async () => {
    const result = await classifyMessage(
      await message({ from: 'Customer <Customer@Example.TEST>', subject: 'Re: [SB#1042] Where is my order?' }),
      lookups([], { 1042: ['customer@example.test', 'boss@example.test'] }),
    );
    expect(result).toMatchObject({ kind: 'reply', referenceNumber: 1042 });
  });

  it('is new when the subject token comes from a stranger', async () => {
    const result = await classifyMessage(
      await message({ from: 'intruder@example.org', subject: 'Re: [SB#1042] Where is my order?' }),
      lookups([], { 1042: ['customer@example.test'] }),
    );
    expect(result.kind).toBe('new');
    expect(result.reason).toContain('stranger');
    expect(result.referenceNumber).toBeUndefined();
  });

  it('is new when the subject token names no interaction', async () => {
    const result = await classifyMessage(await message({ subject: '[SB#9999] hello' }), lookups());
    expect(result.kind).toBe('new');
    expect(result.reason).toContain('names no interaction');
  });

  it('does not trust a token it cannot check', async () => {
    const result = await classifyMessage(await message({ subject: '[SB#5] hello' }), { knownMessageIds: async () => [] });
    expect(result.kind).toBe('new');
    expect(result.reason).toContain('not trusted');
  });

  it('reports the token too when the reply is recognised by its thread headers', async () => {
    const result = await classifyMessage(
      await message({ subject: 'Re: [SB#3] x', headers: ['References: <ours-9@example.test>'] }),
      lookups(['<ours-9@example.test>']),
    );
    expect(result).toMatchObject({ kind: 'reply', referenceNumber: 3 });
  });
});

describe('classifyMessage offline (no lookups)', () => {
  it('treats thread headers as a reply and says they were not checked', async () => {
    const result = await classifyMessage(await message({ headers: ['In-Reply-To: <anything@example.org>'] }));
    expect(result).toMatchObject({ kind: 'reply', threadMessageIds: ['<anything@example.org>'] });
    expect(result.reason).toContain('not checked');
  });

  it('treats a subject token as a reply and says the sender was not checked', async () => {
    const result = await classifyMessage(await message({ subject: 'Re: [SB#77] x' }));
    expect(result).toMatchObject({ kind: 'reply', referenceNumber: 77 });
    expect(result.reason).toContain('not checked');
  });

  it('is new without thread headers or token', async () => {
    expect((await classifyMessage(await message())).kind).toBe('new');
  });
});
