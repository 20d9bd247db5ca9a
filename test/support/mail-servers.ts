// Real mail servers for tests: the Dovecot instance started by scripts/services.d/dovecot.sh
// (IMAP 127.0.0.1:10143, POP3 127.0.0.1:10110, users <name>@example.test / "secret"), and an
// in-process SMTP sink built on the smtp-server package.
import type { AddressInfo } from 'node:net';
import { ImapFlow } from 'imapflow';
import type { ImapFlowOptions } from 'imapflow';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

export const DOVECOT_HOST = process.env.TEST_DOVECOT_HOST ?? '127.0.0.1';
export const DOVECOT_IMAP_PORT = Number(process.env.TEST_DOVECOT_IMAP_PORT ?? 10143);
export const DOVECOT_POP3_PORT = Number(process.env.TEST_DOVECOT_POP3_PORT ?? 10110);
export const DOVECOT_PASSWORD = 'secret';
/** The users scripts/services.d/dovecot.sh creates. */
export const DOVECOT_USERS = [
  'support@example.test',
  'orders@example.test',
  'billing@example.test',
  'agent@example.test',
  'customer@example.test',
  /** The benchmarks' mailbox (bench/email-capture.bench.ts); no test uses it. */
  'bench@example.test',
] as const;

/** Connection options for imapflow, plaintext login without TLS. */
export function dovecotImap(user: string = DOVECOT_USERS[0]): ImapFlowOptions {
  return {
    host: DOVECOT_HOST,
    port: DOVECOT_IMAP_PORT,
    secure: false,
    auth: { user, pass: DOVECOT_PASSWORD },
    logger: false,
  };
}

/** Connection options for node-pop3, plaintext login without TLS. */
export function dovecotPop3(user: string = DOVECOT_USERS[0]): {
  host: string;
  port: number;
  user: string;
  password: string;
  tls: false;
  timeout: number;
} {
  return { host: DOVECOT_HOST, port: DOVECOT_POP3_PORT, user, password: DOVECOT_PASSWORD, tls: false, timeout: 10_000 };
}

/** Runs work on an IMAP session of the user's, logged out afterwards. */
export async function withImap<T>(user: string, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow(dovecotImap(user));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Stores a raw message in a folder of the user's mailbox (INBOX by default); resolves to its UID. */
export async function appendToMailbox(user: string, raw: Buffer | string, folder = 'INBOX'): Promise<number | undefined> {
  return withImap(user, async (client) => {
    const result = await client.append(folder, raw);
    return result ? result.uid : undefined;
  });
}

/** Deletes every message in every folder of the user's mailbox. */
export async function clearMailbox(user: string): Promise<void> {
  await withImap(user, async (client) => {
    for (const folder of await client.list()) {
      if (folder.flags.has('\\Noselect')) continue;
      const lock = await client.getMailboxLock(folder.path);
      try {
        if (client.mailbox && client.mailbox.exists > 0) await client.messageDelete('1:*');
      } finally {
        lock.release();
      }
    }
  });
}

export interface StoredMessage {
  uid: number;
  flags: string[];
  raw: Buffer;
}

/** Every message in a folder of the user's mailbox, oldest first, with its raw source. */
export async function listMailbox(user: string, folder = 'INBOX'): Promise<StoredMessage[]> {
  return withImap(user, async (client) => {
    const lock = await client.getMailboxLock(folder);
    try {
      if (!client.mailbox || client.mailbox.exists === 0) return [];
      const messages = await client.fetchAll('1:*', { uid: true, flags: true, source: true });
      return messages.map((message) => ({
        uid: message.uid,
        flags: [...(message.flags ?? [])],
        raw: message.source ?? Buffer.alloc(0),
      }));
    } finally {
      lock.release();
    }
  });
}

export interface ReceivedMail {
  envelope: { mailFrom: string | null; rcptTo: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** Every message accepted so far, in order (none when started with `keep: false`). */
  readonly messages: ReceivedMail[];
  /** How many messages it has accepted. */
  readonly received: number;
  /** Rejects the next `count` transactions at the end of DATA with this reply code (4xx or 5xx). */
  failNext(count: number, responseCode?: number, message?: string): void;
  /** Resolves once at least `count` messages have been accepted. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on 127.0.0.1 (random port) that records what it receives. No auth, no TLS. With
 * `keep: false` it only counts what it accepts, without parsing or keeping it: a benchmark's stand-in
 * for a mail server elsewhere, which should not take the machine's CPU for parsing.
 */
export async function startSmtpSink(options: { keep?: boolean } = {}): Promise<SmtpSink> {
  const keep = options.keep ?? true;
  const messages: ReceivedMail[] = [];
  let received = 0;
  const waiters = new Set<() => void>();
  let failures = { remaining: 0, responseCode: 451, message: 'Temporary failure requested by the test' };

  const onData = (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void): void => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      if (keep) chunks.push(chunk);
    });
    stream.on('error', (error) => callback(error));
    stream.on('end', () => {
      if (failures.remaining > 0) {
        failures.remaining -= 1;
        callback(Object.assign(new Error(failures.message), { responseCode: failures.responseCode }));
        return;
      }
      if (!keep) {
        received += 1;
        callback();
        return;
      }
      const raw = Buffer.concat(chunks);
      const mailFrom = session.envelope.mailFrom;
      simpleParser(raw).then(
        (parsed) => {
          messages.push({
            envelope: {
              mailFrom: mailFrom ? mailFrom.address : null,
              rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            },
            raw,
            parsed,
          });
          received += 1;
          waiters.forEach((wake) => wake());
          callback();
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    });
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData,
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    messages,
    get received() {
      return received;
    },
    failNext(count, responseCode = 451, message = 'Temporary failure requested by the test') {
      if (responseCode < 400 || responseCode > 599) throw new RangeError(`responseCode must be 4xx or 5xx, got ${responseCode}`);
      failures = { remaining: count, responseCode, message };
    },
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (messages.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(messages.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP sink received ${messages.length} of ${count} messages within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
