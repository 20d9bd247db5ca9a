/**
 * Puts one Switchboard process together. Every process is stateless: any number of them may run
 * against the same Postgres and Redis, each with the HTTP API, the workers, or both.
 */
import { Queue, type Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { startOutboundWorker } from '../workers/outbound.worker.ts';
import { startTimerWorker } from '../workers/timer.worker.ts';
import type { ChannelSender } from './channels/channel-sender.ts';
import { ConfigStore } from './config/config-store.ts';
import type { Config } from './config/schema.ts';
import { connectDatabase, migrateDatabase, type Database } from './db/client.ts';
import { AgentActions } from './engine/agent-actions.ts';
import { Engine } from './engine/engine.ts';
import { createDispatcher } from './engine/outbox-dispatch.ts';
import { OutboxRelay } from './engine/outbox-relay.ts';
import { syncConfig } from './engine/sync-config.ts';
import { buildApp, type AppOptions } from './http/app.ts';
import type { HttpContext } from './http/context.ts';
import { StreamHub } from './http/stream-hub.ts';
import { QUEUES, type OutboundJobData } from './queues/names.ts';
import { checkRedis, connectRedis } from './queues/redis.ts';
import { TimerQueue } from './queues/timer-queue.ts';

export interface SwitchboardOptions {
  databaseUrl: string;
  redisUrl: string;
  config: Config;
  logger: Logger;
  /** Key prefix of every BullMQ queue and pub/sub channel of this deployment. */
  queuePrefix?: string;
  /** Serve the HTTP API (default true). */
  api?: boolean;
  /** Run the timer and outbound workers (default true). */
  workers?: boolean;
  port?: number;
  host?: string;
  senders?: Map<string, ChannelSender>;
  app?: AppOptions;
  relayPollMs?: number;
  timerConcurrency?: number;
  onTimerFired?: (latenessMs: number, applied: boolean) => void;
  databasePoolSize?: number;
}

export interface Switchboard {
  engine: Engine;
  actions: AgentActions;
  database: Database;
  relay: OutboxRelay;
  timers: TimerQueue;
  app: FastifyInstance | null;
  url: string | null;
  context: HttpContext;
  close(): Promise<void>;
}

export async function startSwitchboard(options: SwitchboardOptions): Promise<Switchboard> {
  const { logger } = options;
  const prefix = options.queuePrefix ?? 'sb';
  await checkRedis(options.redisUrl);

  const database = connectDatabase(options.databaseUrl, { max: options.databasePoolSize ?? 10 });
  await migrateDatabase(database);
  const config = new ConfigStore(options.config);
  const engine = new Engine({ database, config });
  await syncConfig(engine, options.config);

  const queueConnection = connectRedis(options.redisUrl);
  const workerConnection = connectRedis(options.redisUrl);
  const publisher = connectRedis(options.redisUrl);
  const subscriber = connectRedis(options.redisUrl);
  const timers = new TimerQueue(queueConnection, prefix);
  const outbound = new Queue<OutboundJobData>(QUEUES.outbound, { connection: queueConnection, prefix });
  const hub = new StreamHub({ sql: database.sql, publisher, subscriber, prefix });
  await hub.start();

  const relay = new OutboxRelay({
    sql: database.sql,
    logger,
    pollMs: options.relayPollMs ?? 1_000,
    dispatch: createDispatcher({ engine, timers, outbound, notifyStream: (userId) => hub.notify(userId) }),
  });
  const stopKicking = engine.onCommitted(() => relay.kick());
  relay.start();

  const workers: Worker[] = [];
  if (options.workers ?? true) {
    workers.push(
      startTimerWorker({
        engine,
        connection: workerConnection,
        prefix,
        logger,
        concurrency: options.timerConcurrency,
        onFired: options.onTimerFired,
      }),
      startOutboundWorker({ sql: database.sql, connection: workerConnection, prefix, logger, senders: options.senders ?? new Map() }),
    );
  }

  const actions = new AgentActions(engine);
  const context: HttpContext = { engine, actions, database, hub, logger, openStreams: new Set(), health: new Map() };
  let app: FastifyInstance | null = null;
  let url: string | null = null;
  if (options.api ?? true) {
    app = await buildApp(context, options.app);
    url = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  }

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await app?.close();
      await Promise.all(workers.map((worker) => worker.close()));
      stopKicking();
      await relay.stop();
      await Promise.all([timers.close(), outbound.close(), hub.stop()]);
      for (const connection of [queueConnection, workerConnection, publisher, subscriber]) connection.disconnect();
      await database.close();
    })());

  return { engine, actions, database, relay, timers, app, url, context, close };
}
