import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ (which needs `maxRetriesPerRequest: null`) and pub/sub. Connections
 * that only send commands (queues, publishers) pipeline what is sent in one tick into one write;
 * workers' connections block and must not.
 */
/** `name` is the connection's client name (CLIENT LIST shows it), kept across reconnections. */
export function connectRedis(url: string, options: { pipeline?: boolean; name?: string } = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: true,
    enableAutoPipelining: options.pipeline ?? false,
    ...(options.name ? { connectionName: options.name } : {}),
  });
}

/** Fails with a message naming how to start Redis when none answers. */
export async function checkRedis(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new Error(
      `Redis is not answering at ${url} (${(error as Error).message}). Start one with ` +
        '`redis-server --daemonize yes --port 6379` or set REDIS_URL to a running Redis.',
      { cause: error },
    );
  } finally {
    probe.disconnect();
  }
}
