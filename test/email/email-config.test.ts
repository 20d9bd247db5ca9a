/**
 * The email part of the configuration: defaults that keep configurations without email valid, every
 * problem named by the path of the offending value, and a validated configuration that is itself a
 * valid configuration document (it is stored and validated again).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { configProblems } from '../support/config-problems.ts';
import { twoAgentConfig } from '../support/configs.ts';

const problems = configProblems;

const smtp = { host: 'smtp.example.com' };
const auth = { user: 'support@example.com', passwordEnv: 'SUPPORT_PASSWORD' };

describe('email configuration', () => {
  it('is optional: a configuration without email gets empty lists and defaults', () => {
    const config = parseConfig(twoAgentConfig());
    expect(config.mailboxes).toEqual([]);
    expect(config.addresses).toEqual([]);
    expect(config.smtp).toBeNull();
    expect(config.email).toMatchObject({ acknowledgementWindow: 3_600_000, maxPollBackoff: 300_000 });
  });

  it('fills defaults for mailboxes, addresses and SMTP', () => {
    const config = parseConfig(
      twoAgentConfig({
        mailboxes: [
          { id: 'in', host: 'imap.example.com', auth },
          { id: 'pop', protocol: 'pop3', host: 'pop.example.com', secure: false, auth: { user: 'x', accessToken: 'token' }, afterCapture: 'delete' },
        ],
        addresses: [{ address: 'Support@Example.com', acknowledgement: 'Thanks, {name}: {token}' }],
        smtp,
      }),
    );
    expect(config.mailboxes[0]).toMatchObject({ protocol: 'imap', port: 993, secure: true, folder: 'INBOX', afterCapture: 'keep', pollEvery: 60_000 });
    expect(config.mailboxes[1]).toMatchObject({ port: 110, afterCapture: 'delete' });
    expect(config.addresses[0]).toEqual({ address: 'support@example.com', acknowledgement: { subject: null, body: 'Thanks, {name}: {token}' } });
    expect(config.smtp).toMatchObject({ host: 'smtp.example.com', port: 587, secure: false, requireTls: false });
  });

  it('accepts its own output as input', () => {
    const config = parseConfig(
      twoAgentConfig({
        mailboxes: [{ id: 'in', host: 'imap.example.com', auth, afterCapture: 'move: Done ', pollEvery: '30s', address: 'support@example.com' }],
        addresses: [{ address: 'support@example.com', category: 'billing', acknowledgement: { body: 'Hello {name}' } }],
        smtp: { ...smtp, auth: { user: 'support@example.com', password: 'secret' } },
        email: { acknowledgementWindow: '10m', messageIdDomain: 'mail.example.com' },
      }),
    );
    expect(config.mailboxes[0]!.afterCapture).toBe('move:Done');
    const again = parseConfig(JSON.parse(JSON.stringify(config)) as ConfigInput);
    expect(again).toEqual(config);
  });

  it('names each problem by its path', () => {
    expect(
      problems(
        twoAgentConfig({
          mailboxes: [
            { id: 'a', host: 'h', auth: { user: 'u' } },
            { id: 'a', host: 'h', auth, afterCapture: 'archive' },
            { id: 'p', protocol: 'pop3', host: 'h', auth, afterCapture: 'move:Done', folder: 'Other' },
            { id: 'm', host: 'h', auth, afterCapture: 'move:INBOX', address: 'nobody@example.com' },
          ],
          addresses: [
            { address: 'support@example.com', category: 'ghosts', acknowledgement: { subject: 'Re {ticket}', body: 'Hi {name}' } },
            { address: 'SUPPORT@example.com' },
            { address: 'not an address' },
          ],
        }),
      ),
    ).toEqual([
      'mailboxes.0.auth.password: exactly one of password, passwordEnv, accessToken and accessTokenEnv is needed',
      'mailboxes.1.afterCapture: use "delete", "keep" or "move:<folder>"',
      'addresses.2.address: an email address like name@example.com',
    ]);
    expect(
      problems(
        twoAgentConfig({
          mailboxes: [
            { id: 'a', host: 'h', auth },
            { id: 'a', host: 'h', auth },
            { id: 'p', protocol: 'pop3', host: 'h', auth, afterCapture: 'move:Done', folder: 'Other' },
            { id: 'm', host: 'h', auth, afterCapture: 'move:INBOX', address: 'nobody@example.com' },
          ],
          addresses: [
            { address: 'support@example.com', category: 'ghosts', acknowledgement: { subject: 'Re {ticket}', body: 'Hi {name}' } },
            { address: 'SUPPORT@example.com' },
          ],
        }),
      ),
    ).toEqual([
      'addresses.0.category: unknown category "ghosts"',
      'addresses.0.acknowledgement: an acknowledgement needs an smtp server to send it',
      'addresses.0.acknowledgement.subject: unknown placeholder {ticket}; use {name}, {address}, {subject}, {reference}, {token}',
      'addresses.1.address: duplicate address "support@example.com"',
      'mailboxes.1.id: duplicate id "a"',
      'mailboxes.2.afterCapture: POP3 cannot move messages; use "delete" or "keep"',
      'mailboxes.2.folder: POP3 has no folders; leave folder out',
      'mailboxes.3.address: "nobody@example.com" is not one of the configured addresses',
      'mailboxes.3.afterCapture: cannot move messages into the folder that is polled',
    ]);
  });
});
