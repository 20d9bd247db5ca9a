/**
 * A channel (email, SMS, ...) plugs into a Switchboard process through this interface: it may send
 * agents' messages, add HTTP routes (webhooks), run pollers when the process runs workers, and report
 * its health. `src/channels/registry.ts` lists the channels a process starts.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { TransactionSql } from 'postgres';
import type { ConfigStore } from '../config/config-store.ts';
import type { Database } from '../db/client.ts';
import type { Engine } from '../engine/engine.ts';
import type { HttpContext } from '../http/context.ts';
import type { ChannelSender } from './channel-sender.ts';

export interface ChannelContext {
  engine: Engine;
  database: Database;
  config: ConfigStore;
  logger: Logger;
  /** BullMQ key prefix of this deployment. */
  queuePrefix: string;
  /** A new Redis connection (BullMQ-ready); the channel closes what it opens. */
  connectRedis(): Redis;
  /** Whether this process runs background work (pollers, send workers). */
  workers: boolean;
}

/** Checks an agent's reply before it is recorded; throws a SwitchboardError to refuse it (nothing is stored). */
export type ReplyCheck = (
  tx: TransactionSql,
  reply: { interactionId: string; channel: string; from: string; to: string; body: string; agentId: string },
) => Promise<void>;

export interface RunningChannel {
  name: string;
  /** Reply checks by interaction channel (opt-outs, segment limits). */
  replyChecks?: Map<string, ReplyCheck>;
  /** Senders by interaction channel (`email`, `sms`). */
  senders?: Map<string, ChannelSender>;
  routes?: (app: FastifyInstance, context: HttpContext) => void | Promise<void>;
  health?: () => Record<string, unknown>;
  stop(): Promise<void>;
}

export type ChannelFactory = (context: ChannelContext) => Promise<RunningChannel>;
