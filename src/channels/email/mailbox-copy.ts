// Where a copy of a message sits in its mailbox: an IMAP UID under its folder's UIDVALIDITY, or a
// POP3 unique id (UIDL).
export type MailboxCopy =
  | { protocol: 'imap'; uidValidity: string; uid: number }
  | { protocol: 'pop3'; uidl: string };

/** `imap:<uidvalidity>:<uid>` or `pop3:<uidl>` */
export function copyKey(copy: MailboxCopy): string {
  return copy.protocol === 'imap' ? `imap:${copy.uidValidity}:${copy.uid}` : `pop3:${copy.uidl}`;
}
