/**
 * Sends agents' messages through their channel, 32 at a time per process (a send waits on the network
 * and on the commits it shares with others): the message is read, and its channel's claim or checks
 * made, in one transaction; the send follows once that has committed, and its record in another. A
 * message already sent is never sent again; a permanent refusal marks it failed; anything else is
 * retried with backoff by BullMQ (exponential, never sooner than the provider's Retry-After), and marks
 * it failed when the last attempt fails.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { PermanentSendError, type ChannelSender, type OutboundMessage, type PreparedSend, type RunTransaction } from '../src/channels/channel-sender.ts';
import { sendBackoffDelay } from '../src/channels/send-backoff.ts';
import type { Sql } from '../src/db/client.ts';
import { keyOf } from '../src/engine/commit-keys.ts';
import { QUEUES, type OutboundJobData } from '../src/queues/names.ts';

export interface OutboundWorkerOptions {
  sql: Sql;
  /** Where a send's record is written (the engine's transactions, see RunTransaction). */
  transaction: RunTransaction;
  connection: Redis;
  prefix: string;
  logger: Logger;
  /** Job lock (ms); a crashed worker's jobs are taken over once it lapses. */
  lockMs?: number;
  senders: ReadonlyMap<string, ChannelSender>;
}

interface MessageRow {
  id: string;
  interaction_id: string;
  channel: string;
  from_address: string;
  to_address: string;
  subject: string | null;
  body: string;
  status: string;
  metadata: Record<string, unknown>;
}

/** A pending message's send (prepared by its channel), or why it will not be sent. */
type ReadySend =
  | { send: PreparedSend }
  /** No sender for its channel: marked failed, the job done. */
  | { noSenderFor: string }
  /** Its channel refused it for good: marked failed, the job failed for good. */
  | { refusal: PermanentSendError };

function outboundMessage(row: MessageRow): OutboundMessage {
  return {
    id: row.id,
    interactionId: row.interaction_id,
    channel: row.channel,
    fromAddress: row.from_address,
    toAddress: row.to_address,
    subject: row.subject,
    body: row.body,
    metadata: row.metadata,
  };
}

export function startOutboundWorker(options: OutboundWorkerOptions): Worker<OutboundJobData> {
  const { sql, logger } = options;
  // Only a message still pending: one sent meanwhile (a stalled job's other run) stays sent.
  const markFailed = (id: string, code: string, message: string) =>
    sql`update messages set status = 'failed', metadata = metadata || ${sql.json({ error: { code, message } })}, updated_at = now()
        where id = ${id} and status = 'pending'`;
  const worker = new Worker<OutboundJobData>(
    QUEUES.outbound,
    async (job) => {
      const messageId = job.data.messageId;
      try {
        // One transaction, which may share its commit with others (see RunTransaction): the message
        // read, then what its channel does before it sends (a claim, a check; ChannelSender.prepare).
        const ready = await options.transaction(async (tx): Promise<ReadySend | null> => {
          const [row] = await tx<MessageRow[]>`select * from messages where id = ${messageId}`;
          if (!row || row.status !== 'pending') return null; // already sent, failed for good, or gone
          const sender = options.senders.get(row.channel);
          if (!sender) return { noSenderFor: row.channel };
          const message = outboundMessage(row);
          if (!sender.prepare) return { send: () => sender.send(message) };
          try {
            return { send: await sender.prepare(tx, message) };
          } catch (error) {
            // Refused before any statement of its own: the transaction stands (it only read).
            if (error instanceof PermanentSendError) return { refusal: error };
            throw error;
          }
        }, [keyOf.message(messageId)]);
        if (ready === null) return;
        if ('noSenderFor' in ready) {
          await markFailed(messageId, 'NO_CHANNEL_CONFIGURED', `no sender is configured for ${ready.noSenderFor}`);
          return;
        }
        if ('refusal' in ready) throw ready.refusal;
        const result = await ready.send();
        // One statement: what the channel records of the send, and the message marked sent.
        await options.transaction(async (tx) => {
          const sent = tx`update messages set status = 'sent', external_id = ${result.externalId},
                            metadata = metadata || ${tx.json((result.metadata ?? {}) as never)}, updated_at = now()
                          where id = ${messageId} and status = 'pending'`;
          await (result.record ? tx`with recorded as (${result.record(tx)}) ${sent}` : sent);
        }, [keyOf.message(messageId)]);
      } catch (error) {
        if (error instanceof PermanentSendError) {
          await markFailed(messageId, error.code, error.message);
          throw new UnrecoverableError(error.message);
        }
        // The last attempt failed too (preparing, sending or recording): the message is failed, not pending for good.
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          await markFailed(messageId, 'SEND_RETRIES_EXHAUSTED', `${job.attemptsMade + 1} attempts failed; the last: ${(error as Error).message}`);
        }
        throw error;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 32,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.lockMs ?? 30_000,
      // Exponential, but never sooner than a provider's Retry-After.
      settings: { backoffStrategy: (attemptsMade, _type, error) => sendBackoffDelay(attemptsMade, error) },
    },
  );
  worker.on('failed', (job, error) => logger.warn({ err: error, jobId: job?.id }, 'outbound send failed'));
  worker.on('error', (error) => logger.error({ err: error }, 'outbound worker error'));
  return worker;
}
