// Turns the raw bytes of an incoming message into the fields the channel works with.
// Never throws on message content: anything that cannot be used becomes a QuarantinedMessage.
import { simpleParser } from 'mailparser';
import type { AddressObject, Attachment, EmailAddress, HeaderLines, ParsedMail } from 'mailparser';
import { EmailChannelError } from './errors.ts';
import { extractMessageIds, normalizeMessageId } from './message-id.ts';
import { sanitizeEmailHtml } from './sanitize-email-html.ts';

const MIB = 1024 * 1024;

export interface ParseLimits {
  /** Largest raw message accepted, in bytes; a larger one is quarantined unparsed. */
  maxMessageBytes: number;
  /** Largest single attachment whose content is kept, in bytes (decoded size). */
  maxAttachmentBytes: number;
  /** Most attachment content kept per message, in bytes; attachments past it keep only their metadata. */
  maxTotalAttachmentBytes: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxMessageBytes: 40 * MIB,
  maxAttachmentBytes: 25 * MIB,
  maxTotalAttachmentBytes: 30 * MIB,
});

export interface Mailbox {
  /** The address as written, e.g. `Jane.Doe@Example.com`; compare case-insensitively. */
  address: string;
  /** The display name, decoded; empty when the header gave none. */
  name: string;
}

export type AttachmentDropReason = 'attachment_too_large' | 'total_attachments_too_large';

export interface ParsedAttachment {
  filename: string | null;
  contentType: string;
  /** Decoded size in bytes, also when the content was dropped. */
  size: number;
  /** The decoded content, or null when it was dropped for a size limit. */
  content: Buffer | null;
  contentDropped: boolean;
  dropReason: AttachmentDropReason | null;
  /** Content-ID without angle brackets, for `cid:` references in the HTML body. */
  contentId: string | null;
  /** True for parts shown inside the body (inline disposition or related Content-ID). */
  inline: boolean;
  /**
   * For an embedded message or header block (message/rfc822, message/global, text/rfc822-headers,
   * message/global-headers): the Message-ID it carries, null when it has none. Undefined otherwise.
   */
  embeddedMessageId?: string | null;
}

export interface ParsedMessage {
  quarantined: false;
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  replyTo: Mailbox[];
  subject: string;
  /** Angle brackets included, e.g. `<abc@host>`; null when the message has none. */
  messageId: string | null;
  /** The first Message-ID of In-Reply-To (all of them are in `headers['in-reply-to']`). */
  inReplyTo: string | null;
  references: string[];
  date: Date | null;
  text: string;
  /** The HTML body made safe for display (see sanitize-email-html.ts), or null without an HTML part. */
  html: string | null;
  /**
   * Every header of the top-level message by lower-cased name, values in order of appearance,
   * unfolded and trimmed but not RFC 2047 decoded.
   */
  headers: Record<string, string[]>;
  attachments: ParsedAttachment[];
  raw: Buffer;
}

export type QuarantineCode = 'message_too_large' | 'unparseable' | 'no_from';

export interface QuarantinedMessage {
  quarantined: true;
  code: QuarantineCode;
  /** `<code>: <detail>` */
  reason: string;
  raw: Buffer;
}

const EMBEDDED_MESSAGE_TYPES = new Set([
  'message/rfc822',
  'message/global',
  'text/rfc822-headers',
  'message/global-headers',
]);

// Senders allowed without a domain: some MTAs write `From: MAILER-DAEMON` bare.
const SYSTEM_LOCAL_PARTS = /^(mailer-daemon|postmaster)$/i;

export async function parseMessage(
  raw: Buffer,
  limits: Partial<ParseLimits> = {},
): Promise<ParsedMessage | QuarantinedMessage> {
  const effective = resolveLimits(limits);
  if (raw.length > effective.maxMessageBytes) {
    return quarantine(raw, 'message_too_large', `${raw.length} bytes, limit ${effective.maxMessageBytes}`);
  }

  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, {
      keepCidLinks: true,
      keepDeliveryStatus: true,
      ignoreEmbedded: true,
      skipTextLinks: true,
      skipImageLinks: true,
    });
  } catch (error) {
    return quarantine(raw, 'unparseable', error instanceof Error ? error.message : String(error));
  }

  try {
    return toParsedMessage(mail, raw, effective);
  } catch (error) {
    return quarantine(raw, 'unparseable', error instanceof Error ? error.message : String(error));
  }
}

function toParsedMessage(mail: ParsedMail, raw: Buffer, limits: ParseLimits): ParsedMessage | QuarantinedMessage {
  const headers = headerMap(mail.headerLines);
  if (Object.keys(headers).length === 0) {
    return quarantine(raw, 'unparseable', 'no header section found');
  }

  const from = mailboxes(mail.from)[0] ?? bareSystemSender(headers['from']?.[0]);
  if (!from || !isUsableAddress(from.address)) {
    const written = headers['from']?.[0];
    return quarantine(raw, 'no_from', written ? `From header has no usable address: ${written}` : 'no From header');
  }

  const html = typeof mail.html === 'string' ? sanitizeEmailHtml(mail.html) : null;
  return {
    quarantined: false,
    from,
    to: mailboxes(mail.to),
    cc: mailboxes(mail.cc),
    replyTo: mailboxes(mail.replyTo),
    subject: mail.subject ?? '',
    messageId: normalizeMessageId(headers['message-id']?.[0]),
    inReplyTo: normalizeMessageId(headers['in-reply-to']?.join(' ')),
    references: extractMessageIds(headers['references']?.join(' ')),
    date: headers['date'] && mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : null,
    text: mail.text ?? '',
    html,
    headers,
    attachments: limitAttachments(mail.attachments, limits),
    raw,
  };
}

function resolveLimits(partial: Partial<ParseLimits>): ParseLimits {
  const limits = { ...DEFAULT_PARSE_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new EmailChannelError('INVALID_PARSE_LIMITS', `${name} must be a non-negative number, got ${value}`);
    }
  }
  return limits;
}

function quarantine(raw: Buffer, code: QuarantineCode, detail: string): QuarantinedMessage {
  return { quarantined: true, code, reason: `${code}: ${detail}`, raw };
}

function headerMap(lines: HeaderLines | undefined): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const { key, line } of lines ?? []) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const value = line
      .slice(colon + 1)
      .replace(/\r?\n(?=[ \t])/g, '')
      .trim();
    const name = key.toLowerCase();
    (map[name] ??= []).push(value);
  }
  return map;
}

function mailboxes(header: AddressObject | AddressObject[] | undefined): Mailbox[] {
  if (!header) return [];
  const objects = Array.isArray(header) ? header : [header];
  const result: Mailbox[] = [];
  const visit = (entry: EmailAddress): void => {
    if (entry.group) {
      entry.group.forEach(visit);
    } else if (entry.address) {
      result.push({ address: entry.address.trim(), name: entry.name ?? '' });
    }
  };
  objects.forEach((object) => object.value.forEach(visit));
  return result;
}

/** `From: MAILER-DAEMON` (no domain, which address parsers read as a display name). */
function bareSystemSender(written: string | undefined): Mailbox | undefined {
  const token = written?.trim().replace(/^<(.*)>$/, '$1');
  return token && SYSTEM_LOCAL_PARTS.test(token) ? { address: token, name: '' } : undefined;
}

function isUsableAddress(address: string): boolean {
  if (/\s/.test(address) || address.length === 0) return false;
  const at = address.lastIndexOf('@');
  if (at < 0) return SYSTEM_LOCAL_PARTS.test(address);
  return at > 0 && at < address.length - 1;
}

function limitAttachments(attachments: Attachment[], limits: ParseLimits): ParsedAttachment[] {
  let kept = 0;
  return attachments.map((attachment) => {
    const contentType = attachment.contentType.toLowerCase();
    const size = attachment.size ?? attachment.content.length;
    let dropReason: AttachmentDropReason | null = null;
    if (size > limits.maxAttachmentBytes) {
      dropReason = 'attachment_too_large';
    } else if (kept + size > limits.maxTotalAttachmentBytes) {
      dropReason = 'total_attachments_too_large';
    } else {
      kept += size;
    }
    const parsed: ParsedAttachment = {
      filename: attachment.filename ?? null,
      contentType,
      size,
      content: dropReason ? null : attachment.content,
      contentDropped: dropReason !== null,
      dropReason,
      contentId: attachment.cid ?? null,
      inline: attachment.contentDisposition === 'inline' || attachment.related === true,
    };
    if (EMBEDDED_MESSAGE_TYPES.has(contentType)) {
      parsed.embeddedMessageId = embeddedMessageId(attachment.content);
    }
    return parsed;
  });
}

/** The Message-ID in the header section of an embedded message or header block. */
function embeddedMessageId(content: Buffer): string | null {
  const head = content.subarray(0, 256 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const section = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n(?=[ \t])/g, '');
  const match = /^message-id[ \t]*:(.*)$/im.exec(section);
  return match ? normalizeMessageId(match[1]) : null;
}
