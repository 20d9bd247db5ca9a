// Reading a few headers straight from raw bytes, for messages that could not be parsed (or were too
// large to fetch whole): enough to name the sender and subject of a quarantined message and to
// recognise a second copy of it.
import { createHash } from 'node:crypto';
import { normalizeMessageId } from './message-id.ts';

const HEAD_BYTES = 256 * 1024;

/** The unfolded value of the first header with this name in the header section, undecoded. */
export function rawHeader(raw: Buffer, name: string): string | undefined {
  const head = raw.subarray(0, HEAD_BYTES).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const section = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n(?=[ \t])/g, '');
  const escaped = name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const match = new RegExp(`^${escaped}[ \\t]*:(.*)$`, 'im').exec(section);
  return match?.[1]?.trim();
}

/** The address in a raw From header (`Name <a@b>` or `a@b`), lower-cased. */
export function rawSenderAddress(raw: Buffer): string | undefined {
  const from = rawHeader(raw, 'from');
  const match = from ? (/<([^<>\s@]+@[^<>\s@]+)>/.exec(from) ?? /([^<>\s@",;:()]+@[^<>\s@",;:()]+)/.exec(from)) : null;
  return match?.[1]?.toLowerCase();
}

/**
 * What identifies a message within its mailbox: its Message-ID, or for a message without one the
 * SHA-256 of its bytes (so a second copy of the same bytes is still recognised).
 */
export function messageKeyOf(messageId: string | null, raw: Buffer): string {
  return messageId ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** The Message-ID of a raw message, read without parsing it. */
export function rawMessageId(raw: Buffer): string | null {
  return normalizeMessageId(rawHeader(raw, 'message-id'));
}

/**
 * SHA-256 of a message's sender, subject and body bytes: the same for two copies of one message (the
 * receiving servers only add header lines), different for a message that merely reuses a Message-ID.
 */
export function contentHashOf(raw: Buffer): string {
  const head = raw.subarray(0, HEAD_BYTES).toString('latin1');
  const boundary = /\r?\n\r?\n/.exec(head);
  const body = boundary ? raw.subarray(boundary.index + boundary[0].length) : Buffer.alloc(0);
  return createHash('sha256')
    .update(rawHeader(raw, 'from') ?? '')
    .update('\u0000')
    .update(rawHeader(raw, 'subject') ?? '')
    .update('\u0000')
    .update(body)
    .digest('hex');
}
