// Lookups in the email configuration in force: mailboxes by id, addresses (case-insensitively), the
// SMTP server, channel settings, and secrets from the file or the environment. Every lookup reads the
// current configuration, so a replaced configuration applies to the next poll or send.
import type { ConfigStore } from '../../config/config-store.ts';
import type { CredentialsConfig, EmailAddressConfig, EmailSettings, MailboxConfig, SmtpConfig } from './email-config.ts';
import { EmailChannelError } from './errors.ts';
import type { ParseLimits } from './parse-message.ts';

export type ResolvedCredentials = { user: string; password: string } | { user: string; accessToken: string };

export class EmailDirectory {
  readonly #config: ConfigStore;
  readonly #env: NodeJS.ProcessEnv;

  constructor(config: ConfigStore, env: NodeJS.ProcessEnv = process.env) {
    this.#config = config;
    this.#env = env;
  }

  mailboxes(): readonly MailboxConfig[] {
    return this.#config.current().mailboxes;
  }

  addresses(): readonly EmailAddressConfig[] {
    return this.#config.current().addresses;
  }

  smtp(): SmtpConfig | null {
    return this.#config.current().smtp;
  }

  settings(): EmailSettings {
    return this.#config.current().email;
  }

  parseLimits(): ParseLimits {
    const { maxMessageBytes, maxAttachmentBytes, maxTotalAttachmentBytes } = this.settings();
    return { maxMessageBytes, maxAttachmentBytes, maxTotalAttachmentBytes };
  }

  mailbox(id: string): MailboxConfig | undefined {
    return this.mailboxes().find((mailbox) => mailbox.id === id);
  }

  requireMailbox(id: string): MailboxConfig {
    const mailbox = this.mailbox(id);
    if (!mailbox) throw new EmailChannelError('UNKNOWN_MAILBOX', `mailbox "${id}" is not configured`);
    return mailbox;
  }

  /** The configured address, compared case-insensitively. */
  address(address: string): EmailAddressConfig | undefined {
    const wanted = address.trim().toLowerCase();
    return this.addresses().find((candidate) => candidate.address === wanted);
  }

  /** Whether mail to this address would come back to Switchboard (a configured address or a mailbox login). */
  isOwnAddress(address: string): boolean {
    const wanted = address.trim().toLowerCase();
    return this.address(wanted) !== undefined || this.mailboxes().some((mailbox) => mailbox.auth.user.toLowerCase() === wanted);
  }

  /** The secret of a set of credentials; throws EMAIL_SECRET_MISSING when its environment variable is not set. */
  credentials(auth: CredentialsConfig): ResolvedCredentials {
    const fromEnv = (name: string): string => {
      const value = this.#env[name];
      if (value === undefined || value === '') {
        throw new EmailChannelError('EMAIL_SECRET_MISSING', `environment variable ${name} (credentials of ${auth.user}) is not set`);
      }
      return value;
    };
    if (auth.password !== undefined) return { user: auth.user, password: auth.password };
    if (auth.passwordEnv !== undefined) return { user: auth.user, password: fromEnv(auth.passwordEnv) };
    if (auth.accessToken !== undefined) return { user: auth.user, accessToken: auth.accessToken };
    return { user: auth.user, accessToken: fromEnv(auth.accessTokenEnv ?? '') };
  }

  /** Whether the credentials' secret is available (for health reports). */
  hasSecret(auth: CredentialsConfig): boolean {
    try {
      this.credentials(auth);
      return true;
    } catch {
      return false;
    }
  }
}
