/**
 * A TCP proxy between a client and a server that counts the client's turns: each time the client
 * sends after it has heard from the server (or first) is one round trip. Statements sent together
 * (pipelined) are one turn; a statement that waits for the answer to the one before is another.
 * With `delayMs`, everything is passed on that much later in each direction, as over a network.
 */
import net from 'node:net';

export interface TurnCountingProxy {
  /** The port to connect to instead of the server's. */
  port: number;
  /** Client turns so far, on all connections. */
  readonly turns: number;
  close(): Promise<void>;
}

export async function startTurnCountingProxy(target: { host: string; port: number }, options: { delayMs?: number } = {}): Promise<TurnCountingProxy> {
  const delayMs = options.delayMs ?? 0;
  // Chunks of one direction all wait as long, so they arrive in the order they were sent.
  const send = (socket: net.Socket, chunk: Buffer | string) => (delayMs > 0 ? setTimeout(() => socket.write(chunk), delayMs) : socket.write(chunk));
  let turns = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    // Like Postgres on its side, the proxy sends what it has at once (no Nagle delay of its own).
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let clientsTurn = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => {
      if (!clientsTurn) turns += 1;
      clientsTurn = true;
      send(upstream, chunk);
    });
    upstream.on('data', (chunk) => {
      clientsTurn = false;
      send(client, chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP port');
  return {
    port: address.port,
    get turns() {
      return turns;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
