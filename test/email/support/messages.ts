// Raw messages for the email channel tests, written as mail clients and servers write them.
import { randomUUID } from 'node:crypto';

export interface MessageOptions {
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  html?: string;
}

export function newMessageId(domain = 'customer.example'): string {
  return `<${randomUUID()}@${domain}>`;
}

/** A plain message (or text + HTML alternative), CRLF line ends. */
export function message(options: MessageOptions = {}): { raw: string; messageId: string } {
  const messageId = options.messageId ?? newMessageId();
  const head = [
    `From: ${options.from ?? 'Jane Customer <jane@customer.example>'}`,
    `To: ${options.to ?? 'support@example.test'}`,
    `Subject: ${options.subject ?? 'Help with my order'}`,
    `Message-ID: ${messageId}`,
    'Date: Tue, 01 Apr 2025 10:00:00 +0000',
    'MIME-Version: 1.0',
    ...(options.inReplyTo ? [`In-Reply-To: ${options.inReplyTo}`] : []),
    ...(options.references?.length ? [`References: ${options.references.join(' ')}`] : []),
    ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
  ];
  const text = (options.body ?? 'Hello, I need help.').replace(/\r?\n/g, '\r\n');
  if (options.html === undefined) {
    return { messageId, raw: [...head, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text, ''].join('\r\n') };
  }
  const boundary = `b-${randomUUID()}`;
  return {
    messageId,
    raw: [
      ...head,
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      options.html,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  };
}

/** An out-of-office answer (RFC 3834 Auto-Submitted). */
export function outOfOffice(options: { from?: string; inReplyTo?: string } = {}): { raw: string; messageId: string } {
  return message({
    from: options.from ?? 'Jane Customer <jane@customer.example>',
    subject: 'Out of Office: Help with my order',
    body: 'I am away until Monday and will read your message when I am back.',
    ...(options.inReplyTo ? { inReplyTo: options.inReplyTo } : {}),
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
  });
}

/** An RFC 3464 delivery status notification for a message Switchboard sent. */
export function bounce(options: { bouncedMessageId: string; recipient: string; to?: string }): { raw: string; messageId: string } {
  const messageId = newMessageId('mx.customer.example');
  const boundary = `dsn-${randomUUID()}`;
  const raw = [
    'From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>',
    `To: ${options.to ?? 'support@example.test'}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: ${messageId}`,
    'Date: Tue, 01 Apr 2025 10:05:00 +0000',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.customer.example.',
    '',
    "I'm sorry to have to inform you that your message could not be delivered to one or more recipients.",
    '',
    `<${options.recipient}>: host mx.customer.example said: 550 5.1.1 User unknown`,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.customer.example',
    '',
    `Final-Recipient: rfc822; ${options.recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    'From: Example Support <support@example.test>',
    `To: ${options.recipient}`,
    'Subject: Re: [SB#1] Help with my order',
    `Message-ID: ${options.bouncedMessageId}`,
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { raw, messageId };
}
