// nodemailer transports for the configured SMTP server, one per distinct setting (a replaced
// configuration gets a new one). Each send opens its own connection: no pool to go stale between
// sends, and a failed connection affects only the send that used it.
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { SmtpConfig } from './email-config.ts';
import type { ResolvedCredentials } from './email-directory.ts';

export type SmtpTransporter = Transporter<SMTPTransport.SentMessageInfo>;

export class SmtpTransports {
  readonly #transports = new Map<string, SmtpTransporter>();

  get(smtp: SmtpConfig, credentials: ResolvedCredentials | null): SmtpTransporter {
    const key = JSON.stringify([smtp, credentials]);
    let transport = this.#transports.get(key);
    if (!transport) {
      const auth =
        credentials === null
          ? undefined
          : 'password' in credentials
            ? { user: credentials.user, pass: credentials.password }
            : { type: 'OAuth2' as const, user: credentials.user, accessToken: credentials.accessToken };
      const options: SMTPTransport.Options = {
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTLS: smtp.requireTls,
        connectionTimeout: smtp.timeout,
        greetingTimeout: smtp.timeout,
        socketTimeout: smtp.timeout,
        ...(auth ? { auth } : {}),
      };
      transport = nodemailer.createTransport(options);
      this.#transports.set(key, transport);
    }
    return transport;
  }

  close(): void {
    for (const transport of this.#transports.values()) transport.close();
    this.#transports.clear();
  }
}
