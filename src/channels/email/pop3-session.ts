// A POP3 session on node-pop3, made safe for a long-running poller:
// - messages are read as bytes (RETR/TOP through the raw command stream) and un-dot-stuffed, so
//   8-bit content survives; node-pop3's own RETR decodes to a string;
// - the end of a multi-line answer is also recognised when its terminator arrives split across
//   socket reads;
// - every command has a deadline, after which the socket is destroyed and the command fails;
// - connection errors reject the pending command and never become uncaught 'error' events.
// Deletions (DELE) only take effect when the session ends with QUIT (RFC 1939 UPDATE state).
import Pop3Command from 'node-pop3';
import type { Readable } from 'node:stream';
import { EmailChannelError } from './errors.ts';
import type { ResolvedCredentials } from './email-directory.ts';
import { errorMessage } from './transient-errors.ts';

const TERMINATOR = Buffer.from('\r\n.\r\n');

export interface Pop3Options {
  host: string;
  port: number;
  secure: boolean;
  timeoutMs: number;
  credentials: ResolvedCredentials;
}

/** node-pop3's connection internals used here: the socket and the method that ends a multi-line answer. */
interface Pop3Internals {
  _socket: { destroy(): void; destroyed?: boolean } | null;
  _endStream(error?: Error): void;
}

export class Pop3Session {
  readonly #client: Pop3Command;
  readonly #options: Pop3Options;

  private constructor(client: Pop3Command, options: Pop3Options) {
    this.#client = client;
    this.#options = options;
  }

  static async open(options: Pop3Options): Promise<Pop3Session> {
    const client = new Pop3Command({
      host: options.host,
      port: options.port,
      tls: options.secure,
      timeout: options.timeoutMs,
      user: options.credentials.user,
      password: 'password' in options.credentials ? options.credentials.password : '',
    });
    client.on('error', () => {});
    client.on('warn', () => {});
    const session = new Pop3Session(client, options);
    try {
      if ('accessToken' in options.credentials) {
        await session.#deadline(client.connect(), 'connect');
        const token = Buffer.from(`user=${options.credentials.user}\u0001auth=Bearer ${options.credentials.accessToken}\u0001\u0001`).toString('base64');
        await session.#deadline(client.command('AUTH', 'XOAUTH2', token), 'AUTH XOAUTH2');
      } else {
        await session.#deadline(client.STAT(), 'login');
      }
    } catch (error) {
      session.close();
      throw new EmailChannelError('MAILBOX_UNAVAILABLE', `POP3 ${options.host}:${options.port}: ${errorMessage(error)}`, { cause: error });
    }
    return session;
  }

  /** `[message number, unique id]` of every message in the maildrop. */
  async uidl(): Promise<{ number: number; uidl: string }[]> {
    const rows = (await this.#deadline(this.#client.UIDL(), 'UIDL')) as string[][];
    return rows.flatMap(([number, uidl]) => (number && uidl ? [{ number: Number(number), uidl }] : []));
  }

  /** Size in bytes of every message, by message number. */
  async sizes(): Promise<Map<number, number>> {
    const rows = (await this.#deadline(this.#client.LIST(), 'LIST')) as string[][];
    return new Map(rows.flatMap(([number, size]) => (number && size ? [[Number(number), Number(size)] as [number, number]] : [])));
  }

  retrieve(number: number): Promise<Buffer> {
    return this.#multiline(['RETR', number]);
  }

  /** The header section of a message (and `lines` lines of its body). */
  top(number: number, lines = 0): Promise<Buffer> {
    return this.#multiline(['TOP', number, lines]);
  }

  async delete(number: number): Promise<void> {
    await this.#deadline(this.#client.DELE(number), 'DELE');
  }

  /** Ends the session; the server then applies the deletions. */
  async quit(): Promise<void> {
    await this.#deadline(this.#client.QUIT(), 'QUIT');
    this.close();
  }

  close(): void {
    const internals = this.#client as unknown as Pop3Internals;
    internals._socket?.destroy();
  }

  async #multiline(command: (string | number)[]): Promise<Buffer> {
    const [, stream] = await this.#deadline(this.#client.command(...command), String(command[0]));
    const body = await this.#deadline(this.#collect(stream), String(command[0]));
    return unstuff(body);
  }

  #collect(stream: Readable): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let tail = Buffer.alloc(0);
      let done = false;
      const finish = (value: Buffer) => {
        if (done) return;
        done = true;
        resolve(value);
      };
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        tail = Buffer.concat([tail, chunk]).subarray(-TERMINATOR.length);
        // node-pop3 only sees a terminator that arrives within one read; one split across reads is caught here.
        if (tail.equals(TERMINATOR)) {
          (this.#client as unknown as Pop3Internals)._endStream();
          const all = Buffer.concat(chunks);
          finish(all.subarray(0, all.length - TERMINATOR.length));
        }
      });
      stream.on('end', () => finish(Buffer.concat(chunks)));
      stream.on('error', (error) => {
        if (!done) reject(error);
        done = true;
      });
      stream.on('close', () => {
        if (!done) reject(new Error('connection closed during a multi-line answer'));
        done = true;
      });
    });
  }

  #deadline<T>(promise: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close();
        reject(new EmailChannelError('MAILBOX_UNAVAILABLE', `POP3 ${what} got no answer within ${this.#options.timeoutMs} ms`));
      }, this.#options.timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}

/** Removes POP3 byte-stuffing: a line starting with "." had one more "." put in front of it. */
export function unstuff(body: Buffer): Buffer {
  if (body.indexOf('\n.') < 0 && body[0] !== 0x2e) return body;
  return Buffer.from(body.toString('latin1').replace(/(^|\r\n)\./g, '$1'), 'latin1');
}
