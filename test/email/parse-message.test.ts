import { describe, expect, it } from 'vitest';
import { EmailChannelError } from '../../src/channels/email/errors.ts';
import { parseMessage } from '../../src/channels/email/parse-message.ts';
import type { ParsedMessage, QuarantinedMessage } from '../../src/channels/email/parse-message.ts';

const crlf = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));

async function parsed(raw: Buffer, limits = {}): Promise<ParsedMessage> {
  const result = await parseMessage(raw, limits);
  if (result.quarantined) throw new Error(`unexpectedly quarantined: ${result.reason}`);
  return result;
}

async function quarantined(raw: Buffer, limits = {}): Promise<QuarantinedMessage> {
  const result = await parseMessage(raw, limits);
  if (!result.quarantined) throw new Error('expected the message to be quarantined');
  return result;
}

const base64 = (size: number, fill = 'a'): string =>
  Buffer.alloc(size, fill).toString('base64').replace(/.{76}/g, '$&\r\n');

function withAttachments(sizes: number[]): Buffer {
  const parts = sizes.flatMap((size, index) => [
    '--b1',
    `Content-Type: application/octet-stream; name="file${index}.bin"`,
    `Content-Disposition: attachment; filename="file${index}.bin"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64(size),
  ]);
  return crlf(
    'From: Customer <customer@example.test>',
    'To: support@example.test',
    'Subject: files',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'See attached.',
    ...parts,
    '--b1--',
    '',
  );
}

describe('parseMessage', () => {
  it('extracts addresses, ids, dates, bodies and headers', async () => {
    const raw = crlf(
      'Received: from a.example.test by b.example.test',
      'Received: from c.example.test by a.example.test',
      'From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <Juergen@Example.test>',
      'To: Support <support@example.test>, orders@example.test',
      'Cc: boss@example.test',
      'Reply-To: replies@example.test',
      'Subject: =?UTF-8?B?R3LDvMOfZQ==?= [SB#7]',
      'Message-ID: <m1@example.test>',
      'In-Reply-To: <m0@example.test>',
      'References: <r1@example.test>',
      '  <m0@example.test>',
      'Date: Tue, 01 Apr 2025 10:00:00 +0200',
      'Auto-Submitted: no',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hallo!',
      '',
    );
    const message = await parsed(raw);
    expect(message.from).toEqual({ address: 'Juergen@Example.test', name: 'Jürgen Müller' });
    expect(message.to.map((m) => m.address)).toEqual(['support@example.test', 'orders@example.test']);
    expect(message.cc).toEqual([{ address: 'boss@example.test', name: '' }]);
    expect(message.replyTo.map((m) => m.address)).toEqual(['replies@example.test']);
    expect(message.subject).toBe('Grüße [SB#7]');
    expect(message.messageId).toBe('<m1@example.test>');
    expect(message.inReplyTo).toBe('<m0@example.test>');
    expect(message.references).toEqual(['<r1@example.test>', '<m0@example.test>']);
    expect(message.date?.toISOString()).toBe('2025-04-01T08:00:00.000Z');
    expect(message.text.trim()).toBe('Hallo!');
    expect(message.html).toBeNull();
    expect(message.headers['received']).toHaveLength(2);
    expect(message.headers['auto-submitted']).toEqual(['no']);
    expect(message.headers['references']).toEqual(['<r1@example.test>  <m0@example.test>']);
    expect(message.raw).toBe(raw);
  });

  it('decodes legacy charsets', async () => {
    const raw = Buffer.concat([
      crlf('From: a@example.test', 'Subject: =?KOI8-R?B?8NLJ18XU?=', 'Content-Type: text/plain; charset=koi8-r', 'Content-Transfer-Encoding: 8bit', '', ''),
      Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4, 0x0d, 0x0a]),
    ]);
    const message = await parsed(raw);
    expect(message.subject).toBe('Привет');
    expect(message.text.trim()).toBe('Привет');
  });

  describe('HTML sanitising', () => {
    const html = [
      '<html><head><style>body{background:url(https://tracker.example/x)}</style>',
      '<script>alert(1)</script><base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example"></head>',
      '<body onload="steal()"><p onclick="steal()" style="position:fixed">Hello <b>there</b></p>',
      '<a href="javascript:alert(1)">js</a> <a href="JaVaScRiPt&#58;alert(1)">encoded</a>',
      '<a href="//evil.example/p">protocol relative</a> <a href="https://shop.example/order/1" target="_self">order</a>',
      '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
      '<img src="https://cdn.example/logo.png" srcset="https://tracker.example/1x 1x" onerror="steal()" alt="logo">',
      '<img src="cid:logo@example.test"> <img src="javascript:alert(1)">',
      '<iframe src="https://evil.example"></iframe><object data="x.swf"></object><form action="https://evil.example"><input name="p"></form>',
      '<svg onload="steal()"><script>alert(2)</script></svg>',
      '<table background="https://tracker.example/bg.png"><tr><td colspan="2">cell</td></tr></table>',
      '</body></html>',
    ].join('\n');
    const raw = crlf('From: a@example.test', 'Subject: html', 'Content-Type: text/html; charset=utf-8', '', html, '');

    it('removes scripts, event handlers, dangerous URLs and remote-loading tricks', async () => {
      const clean = (await parsed(raw)).html ?? '';
      for (const forbidden of ['<script', 'alert(', 'onclick', 'onload', 'onerror', 'javascript', 'JaVaScRiPt', '<style', 'url(', '<iframe', '<object', '<form', '<input', '<base', '<meta', '<svg', 'srcset', 'background=', 'style=', '//evil.example', 'data:text/html']) {
        expect(clean, forbidden).not.toContain(forbidden);
      }
    });

    it('keeps formatting, plain images and safe links', async () => {
      const clean = (await parsed(raw)).html ?? '';
      expect(clean).toContain('<b>there</b>');
      expect(clean).toContain('<img src="https://cdn.example/logo.png" alt="logo" />');
      expect(clean).toContain('<img src="cid:logo@example.test" />');
      expect(clean).toContain('<a href="https://shop.example/order/1" target="_blank" rel="noopener noreferrer nofollow">order</a>');
      expect(clean).toContain('<td colspan="2">cell</td>');
    });

    it('derives the text body from HTML-only messages', async () => {
      expect((await parsed(raw)).text).toContain('Hello there');
    });
  });

  describe('attachments and size limits', () => {
    it('keeps attachments within the limits', async () => {
      const message = await parsed(withAttachments([100, 200]));
      expect(message.attachments).toHaveLength(2);
      expect(message.attachments[0]).toMatchObject({
        filename: 'file0.bin',
        contentType: 'application/octet-stream',
        size: 100,
        contentDropped: false,
        dropReason: null,
        inline: false,
      });
      expect(message.attachments[1]?.content?.length).toBe(200);
    });

    it('lists an attachment over the per-attachment limit without its content', async () => {
      const message = await parsed(withAttachments([100, 5000]), { maxAttachmentBytes: 1000 });
      expect(message.attachments[0]?.contentDropped).toBe(false);
      expect(message.attachments[1]).toMatchObject({
        filename: 'file1.bin',
        size: 5000,
        content: null,
        contentDropped: true,
        dropReason: 'attachment_too_large',
      });
    });

    it('drops content once the total is reached but keeps later attachments that still fit', async () => {
      const message = await parsed(withAttachments([600, 600, 300]), { maxTotalAttachmentBytes: 1000 });
      expect(message.attachments.map((a) => a.dropReason)).toEqual([null, 'total_attachments_too_large', null]);
      expect(message.attachments[1]?.size).toBe(600);
    });

    it('reads the Message-ID of an embedded message even when its content is dropped', async () => {
      const raw = crlf(
        'From: MAILER-DAEMON',
        'Subject: Undelivered Mail Returned to Sender',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        '',
        '--r',
        'Content-Type: text/plain',
        '',
        'Could not deliver.',
        '--r',
        'Content-Type: message/rfc822',
        '',
        'From: support@example.test',
        'Message-ID:',
        ' <original@example.test>',
        '',
        'body '.repeat(400),
        '--r--',
        '',
      );
      const message = await parsed(raw, { maxAttachmentBytes: 100 });
      expect(message.from.address).toBe('MAILER-DAEMON');
      expect(message.attachments[0]).toMatchObject({
        contentType: 'message/rfc822',
        contentDropped: true,
        embeddedMessageId: '<original@example.test>',
      });
    });

    it('quarantines a message over the size limit without parsing it', async () => {
      const result = await quarantined(withAttachments([5000]), { maxMessageBytes: 1000 });
      expect(result.code).toBe('message_too_large');
      expect(result.reason).toMatch(/^message_too_large: \d+ bytes, limit 1000$/);
      expect(result.raw.length).toBeGreaterThan(1000);
    });

    it('rejects invalid limits with a typed error', async () => {
      await expect(parseMessage(Buffer.from('From: a@example.test\r\n\r\nx'), { maxMessageBytes: -1 })).rejects.toMatchObject({
        name: 'EmailChannelError',
        code: 'INVALID_PARSE_LIMITS',
      });
      await expect(parseMessage(Buffer.alloc(0), { maxAttachmentBytes: Number.NaN })).rejects.toBeInstanceOf(EmailChannelError);
    });
  });

  describe('quarantine', () => {
    it('quarantines a message without From', async () => {
      const result = await quarantined(crlf('To: support@example.test', 'Subject: who?', '', 'hi', ''));
      expect(result).toMatchObject({ quarantined: true, code: 'no_from', reason: 'no_from: no From header' });
    });

    it('quarantines a From without a usable address', async () => {
      const result = await quarantined(crlf('From: Just A Name', 'Subject: hi', '', 'hi', ''));
      expect(result.code).toBe('no_from');
      expect(result.reason).toContain('Just A Name');
    });

    it('quarantines input without a header section', async () => {
      const result = await quarantined(Buffer.from('\r\n\r\njust some text'));
      expect(result.reason).toMatch(/^(unparseable|no_from): /);
    });

    it('never throws, whatever the bytes', async () => {
      const inputs = [
        Buffer.alloc(0),
        Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a]),
        Buffer.from('From: a@example.test\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n'),
        Buffer.from('From: a@example.test\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!'),
        Buffer.from('From: a@example.test\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\n\xe9'),
        Buffer.from(`From: a@example.test\r\nSubject: ${'=?UTF-8?B?'.repeat(500)}\r\n\r\n`),
      ];
      for (const raw of inputs) {
        const result = await parseMessage(raw);
        expect(typeof result.quarantined).toBe('boolean');
      }
    });
  });
});
