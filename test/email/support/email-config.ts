// Configurations for the email channel tests: the shared two-agent setup plus mailboxes on the test
// Dovecot, addresses, and the SMTP sink. Short poll intervals and timeouts keep the tests quick.
import type { ConfigInput } from '../../../src/config/schema.ts';
import { twoAgentConfig } from '../../support/configs.ts';
import { DOVECOT_HOST, DOVECOT_IMAP_PORT, DOVECOT_PASSWORD, DOVECOT_POP3_PORT } from '../../support/mail-servers.ts';

export type MailboxInput = NonNullable<ConfigInput['mailboxes']>[number];

function testMailbox(protocol: 'imap' | 'pop3', id: string, user: string, extra: Partial<MailboxInput>): MailboxInput {
  return {
    id,
    protocol,
    host: DOVECOT_HOST,
    port: protocol === 'imap' ? DOVECOT_IMAP_PORT : DOVECOT_POP3_PORT,
    secure: false,
    auth: { user, password: DOVECOT_PASSWORD },
    afterCapture: 'delete',
    pollEvery: '200ms',
    timeout: '5s',
    ...extra,
  };
}

export function imapMailbox(id: string, user: string, extra: Partial<MailboxInput> = {}): MailboxInput {
  return testMailbox('imap', id, user, extra);
}

export function pop3Mailbox(id: string, user: string, extra: Partial<MailboxInput> = {}): MailboxInput {
  return testMailbox('pop3', id, user, extra);
}

export const ACKNOWLEDGEMENT = {
  subject: 'We received your message {token}',
  body: 'Dear {name},\n\nthank you for writing to us about "{subject}". Your reference number is {reference}.\n\nExample Support',
};

/** The two agents of twoAgentConfig, with an email address (acknowledging) and an SMTP server. */
export function emailConfig(options: { smtpPort: number; mailboxes: MailboxInput[]; overrides?: Partial<ConfigInput> }): ConfigInput {
  return twoAgentConfig({
    mailboxes: options.mailboxes,
    addresses: [
      { address: 'support@example.test', name: 'Example Support', acknowledgement: ACKNOWLEDGEMENT },
      { address: 'orders@example.test', name: 'Example Orders', category: 'general', acknowledgement: null },
      { address: 'billing@example.test', name: 'Example Billing', category: 'billing', acknowledgement: null },
    ],
    smtp: { host: '127.0.0.1', port: options.smtpPort, secure: false, timeout: '5s' },
    ...options.overrides,
  });
}
