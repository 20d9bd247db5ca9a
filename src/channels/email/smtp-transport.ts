// nodemailer transports for the configured SMTP server, one per distinct setting (a replaced
// configuration gets a new one). Each is a small pool (4 connections, each used for up to 100
// messages), so a busy outbound worker does not pay a connection, greeting, STARTTLS and login per
// message; a connection the server closed is replaced, and a send that fails on one is retried by the
// outbound worker like any transient failure.
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
      const options: SMTPTransport.Options & { pool: true; maxConnections: number; maxMessages: number } = {
        pool: true,
        maxConnections: 4,
        maxMessages: 100,
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
      // The configuration names one SMTP server: the pools of the settings it replaced are closed (a delivery under way
      // finishes; one still waiting for a connection fails and the outbound worker retries it).
      this.close();
      this.#transports.set(key, transport);
    }
    return transport;
  }

  close(): void {
    for (const transport of this.#transports.values()) transport.close();
    this.#transports.clear();
  }
}
