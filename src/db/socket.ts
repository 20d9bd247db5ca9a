/**
 * The sockets postgres.js connects with (its `socket` option), with Nagle's algorithm off, as libpq
 * has it. postgres.js leaves it on, so a statement written right behind another (COMMIT behind a
 * transaction's last write, the second of two pipelined statements) waited in the kernel until the
 * server acknowledged the first: a round trip more, and on a quiet connection up to a delayed ACK's
 * 40 ms.
 */
import net from 'node:net';

/** What postgres.js hands its `socket` option (its parsed connection options). */
interface ConnectOptions {
  host: string[];
  port: number[];
  path?: string | false;
  connect_timeout?: number | null;
}

function connectOnce(target: { path: string } | { host: string; port: number }, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in target ? net.connect(target.path) : net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connecting to Postgres timed out after ${timeoutMs} ms`), { code: 'CONNECT_TIMEOUT' }));
    }, timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/** A connected socket to the first of the configured servers that answers (a Unix socket when configured). */
export async function connectPostgresSocket(options: ConnectOptions): Promise<net.Socket> {
  const timeoutMs = (options.connect_timeout ?? 30) * 1000;
  if (options.path) return connectOnce({ path: options.path }, timeoutMs);
  let lastError: unknown = new Error('no Postgres host is configured');
  for (const [i, host] of options.host.entries()) {
    try {
      return await connectOnce({ host, port: options.port[i] ?? options.port[0] ?? 5432 }, timeoutMs);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
