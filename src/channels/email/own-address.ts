// Which of the company's addresses a message was written to, and who the customer is.
//
// The address: the first configured address among the delivery headers (Delivered-To, X-Original-To,
// Envelope-To, added by the receiving server) and the To and Cc headers; else the mailbox's own
// `address`; else the mailbox's login when it is a configured address; else the first To address as
// written (no configured settings apply then, and replies cannot be sent from it).
// The customer: the first Reply-To address when there is one (contact forms send from their own
// address on the customer's behalf), else the From address.
import type { EmailAddressConfig, MailboxConfig } from './email-config.ts';
import type { EmailDirectory } from './email-directory.ts';
import { allHeaders } from './header-values.ts';
import type { Mailbox, ParsedMessage } from './parse-message.ts';

export interface OwnAddress {
  address: string;
  config: EmailAddressConfig | undefined;
}

const DELIVERY_HEADERS = ['delivered-to', 'x-original-to', 'envelope-to'];
const ADDRESS = /[^\s<>@",;:()]+@[^\s<>@",;:()]+/g;

export function resolveOwnAddress(message: ParsedMessage | null, mailbox: MailboxConfig, directory: EmailDirectory): OwnAddress {
  const candidates: string[] = [];
  if (message) {
    for (const name of DELIVERY_HEADERS) {
      for (const value of allHeaders(message.headers, name)) candidates.push(...(value.match(ADDRESS) ?? []));
    }
    candidates.push(...message.to.map((entry) => entry.address), ...message.cc.map((entry) => entry.address));
  }
  for (const candidate of candidates) {
    const config = directory.address(candidate);
    if (config) return { address: config.address, config };
  }
  if (mailbox.address !== undefined) return { address: mailbox.address, config: directory.address(mailbox.address) };
  const login = directory.address(mailbox.auth.user);
  if (login) return { address: login.address, config: login };
  const fallback = message?.to[0]?.address ?? mailbox.auth.user;
  return { address: fallback.trim().toLowerCase(), config: undefined };
}

export function customerOf(message: ParsedMessage): Mailbox {
  const replyTo = message.replyTo[0];
  if (replyTo && replyTo.address.includes('@')) {
    return { address: replyTo.address.trim().toLowerCase(), name: replyTo.name || message.from.name };
  }
  return { address: message.from.address.trim().toLowerCase(), name: message.from.name };
}
