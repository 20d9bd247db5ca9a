/**
 * Puts one Switchboard process together. Every process is stateless: any number of them may run
 * against the same Postgres and Redis, each with the HTTP API, the workers, or both.
 */
import { Queue, type Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { startDeskWorker } from '../workers/desk.worker.ts';
import { startOutboundWorker } from '../workers/outbound.worker.ts';
import { startTimerWorker } from '../workers/timer.worker.ts';
import { ConfigSync } from './admin/config-sync.ts';
import { activateStartupConfig } from './admin/startup-config.ts';
import type { RunningChannel } from './channels/channel-module.ts';
import { engineTransactions, type ChannelSender } from './channels/channel-sender.ts';
import { CHANNELS } from './channels/registry.ts';
import { ConfigStore } from './config/config-store.ts';
import type { Config } from './config/schema.ts';
import { connectDatabase, migrateDatabase, type Database } from './db/client.ts';
import { HotTableVacuum } from './db/hot-table-vacuum.ts';
import { createDeskDispatcher } from './desk/desk-dispatch.ts';
import { DeskQueue } from './desk/desk-queue.ts';
import { lostDeskJobs } from './desk/lost-desk-jobs.ts';
import { ReviewActions } from './desk/reviews.ts';
import { SupervisorActions } from './desk/supervisor-actions.ts';
import { AgentActions } from './engine/agent-actions.ts';
import { Engine } from './engine/engine.ts';
import { LostJobs } from './engine/lost-jobs.ts';
import { createDispatcher } from './engine/outbox-dispatch.ts';
import { OutboxRelay } from './engine/outbox-relay.ts';
import { buildApp, type AppOptions } from './http/app.ts';
import type { HttpContext } from './http/context.ts';
import { StreamHub } from './http/stream-hub.ts';
import { QUEUES, type OutboundJobData } from './queues/names.ts';
import { checkRedis, connectRedis } from './queues/redis.ts';
import { TimerQueue } from './queues/timer-queue.ts';

export interface SwitchboardOptions {
  databaseUrl: string;
  redisUrl: string;
  /** The start-up configuration: it seeds the stored one, and replaces it when its content changed (admin/startup-config.ts). */
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
  outboxLeaseMs?: number;
  /** BullMQ job lock; a crashed worker's jobs run again elsewhere after it (default 30 s). */
  jobLockMs?: number;
  timerConcurrency?: number;
  onTimerFired?: (latenessMs: number, applied: boolean) => void;
  databasePoolSize?: number;
  /** How often a process checks for a configuration change it was not told of (default 10 s). */
  configPollMs?: number;
  /** How long event streams wait for a transaction still running before they no longer wait for it (default 5 s; see StreamHub). */
  streamStaleTransactionMs?: number;
  /** How often worker processes look for timers and sends Redis lost, and how long overdue they must be first (default 30 s each; see LostJobs). */
  lostJobs?: { everyMs?: number; graceMs?: number };
  /** Interactions this process keeps as it last wrote them (default 10,000; 0 keeps none; see InteractionCache). */
  interactionCacheSize?: number;
  /** How often worker processes vacuum the small tables rewritten on every offer and side effect (default 1 s; see HotTableVacuum). */
  hotTableVacuum?: { everyMs?: number; minDeadRows?: number; deadShare?: number };
}

export interface Switchboard {
  engine: Engine;
  actions: AgentActions;
  database: Database;
  relay: OutboxRelay;
  timers: TimerQueue;
  /** The queue of sends the outbound workers take (the relay adds to it). */
  outbound: Queue<OutboundJobData>;
  app: FastifyInstance | null;
  url: string | null;
  context: HttpContext;
  configSync: ConfigSync;
  close(): Promise<void>;
}

export async function startSwitchboard(options: SwitchboardOptions): Promise<Switchboard> {
  const { logger } = options;
  const prefix = options.queuePrefix ?? 'sb';
  await checkRedis(options.redisUrl);

  const database = connectDatabase(options.databaseUrl, { max: options.databasePoolSize ?? 10 });
  await migrateDatabase(database);
  const config = new ConfigStore(options.config);
  const engine = new Engine({ database, config, interactionCacheSize: options.interactionCacheSize });
  const startup = await activateStartupConfig(engine, options.config);
  config.replace(startup.config, startup.version);

  const queueConnection = connectRedis(options.redisUrl, { pipeline: true });
  const workerConnection = connectRedis(options.redisUrl);
  const publisher = connectRedis(options.redisUrl, { pipeline: true });
  const subscriber = connectRedis(options.redisUrl, { name: `${prefix}:streams` });
  const configSubscriber = connectRedis(options.redisUrl, { name: `${prefix}:config` });
  const timers = new TimerQueue(queueConnection, prefix);
  const deskQueue = new DeskQueue(queueConnection, prefix);
  const outbound = new Queue<OutboundJobData>(QUEUES.outbound, { connection: queueConnection, prefix });
  const hub = new StreamHub({ sql: database.sql, publisher, subscriber, prefix, logger, staleTransactionMs: options.streamStaleTransactionMs });
  await hub.start();
  const configSync = new ConfigSync({
    sql: database.sql,
    store: config,
    publisher,
    subscriber: configSubscriber,
    prefix,
    logger,
    pollMs: options.configPollMs,
  });
  await configSync.start();

  const relay = new OutboxRelay({
    sql: database.sql,
    logger,
    pollMs: options.relayPollMs ?? 1_000,
    leaseMs: options.outboxLeaseMs ?? 30_000,
    dispatch: createDispatcher({
      engine,
      timers,
      outbound,
      notifyStream: (userId) => hub.notify(userId),
      desk: createDeskDispatcher({ sql: database.sql, config, deskQueue, publishConfig: async (version) => void (await configSync.publish(version)) }),
    }),
  });
  const stopKicking = engine.useOutboxTaker(relay);
  relay.start();

  const runWorkers = options.workers ?? true;
  const extraConnections: ReturnType<typeof connectRedis>[] = [];
  const channels: RunningChannel[] = [];
  for (const factory of CHANNELS) {
    channels.push(
      await factory({
        engine,
        database,
        config,
        logger,
        queuePrefix: prefix,
        workers: runWorkers,
        connectRedis: () => {
          const connection = connectRedis(options.redisUrl);
          extraConnections.push(connection);
          return connection;
        },
      }),
    );
  }
  const senders = new Map(options.senders ?? []);
  for (const channel of channels) for (const [name, sender] of channel.senders ?? []) if (!senders.has(name)) senders.set(name, sender);

  const workers: Worker[] = [];
  if (runWorkers) {
    workers.push(
      startTimerWorker({
        engine,
        connection: workerConnection,
        prefix,
        logger,
        concurrency: options.timerConcurrency,
        lockMs: options.jobLockMs,
        onFired: options.onTimerFired,
      }),
      startOutboundWorker({ sql: database.sql, transaction: engineTransactions(engine), connection: workerConnection, prefix, logger, senders, lockMs: options.jobLockMs }),
      startDeskWorker({ engine, deskQueue, connection: workerConnection, prefix, logger, lockMs: options.jobLockMs }),
    );
    await deskQueue.schedulePruning();
  }
  const lostJobs = runWorkers
    ? new LostJobs({ sql: database.sql, timers, outbound, logger, more: lostDeskJobs({ sql: database.sql, deskQueue, logger }), ...options.lostJobs })
    : null;
  lostJobs?.start();
  const vacuum = runWorkers ? new HotTableVacuum({ sql: database.sql, logger, ...options.hotTableVacuum }) : null;
  vacuum?.start();

  const replyChecks = new Map(channels.flatMap((channel) => [...(channel.replyChecks ?? [])]));
  const actions = new AgentActions(engine, replyChecks);
  const desk = { reviews: new ReviewActions(engine, replyChecks), supervisor: new SupervisorActions(engine) };
  const context: HttpContext = { engine, actions, desk, database, hub, logger, openStreams: new Set(), health: new Map() };
  let app: FastifyInstance | null = null;
  let url: string | null = null;
  for (const channel of channels) if (channel.health) context.health.set(channel.name, channel.health);
  if (options.api ?? true) {
    const channelRoutes = channels.flatMap((channel) => (channel.routes ? [channel.routes] : []));
    app = await buildApp(context, { ...options.app, plugins: [...channelRoutes, ...(options.app?.plugins ?? [])] });
    url = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  }

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      logger.debug('closing the HTTP server and its event streams');
      await app?.close();
      logger.debug('closing workers');
      await Promise.all([...workers.map((worker) => worker.close()), lostJobs?.stop(), vacuum?.stop()]);
      logger.debug('stopping channels');
      await Promise.all(channels.map((channel) => channel.stop()));
      stopKicking();
      logger.debug('stopping the outbox relay');
      await relay.stop();
      logger.debug('closing queues and connections');
      await Promise.all([timers.close(), deskQueue.close(), outbound.close(), hub.stop(), configSync.stop()]);
      for (const connection of [queueConnection, workerConnection, publisher, subscriber, configSubscriber, ...extraConnections]) connection.disconnect();
      await database.close();
    })());

  return { engine, actions, database, relay, timers, outbound, app, url, context, configSync, close };
}
