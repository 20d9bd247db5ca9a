import type { PendingQuery, Row, TransactionSql } from 'postgres';
import type { Engine } from '../engine/engine.ts';

/** How a channel sends an agent's message to the customer. Implementations must be idempotent per message id. */
export interface OutboundMessage {
  id: string;
  interactionId: string;
  channel: string;
  fromAddress: string;
  toAddress: string;
  subject: string | null;
  body: string;
  metadata: Record<string, unknown>;
}

export interface SendResult {
  externalId: string | null;
  metadata?: Record<string, unknown>;
  /**
   * What the channel records of the accepted send (its provider's id, its acceptance), as one statement
   * for the given transaction: the outbound worker runs it inside the statement that marks the message
   * sent, so both are written together, in one round trip and one commit.
   */
  record?: (tx: TransactionSql) => PendingQuery<Row[]>;
}

/**
 * Runs work in one transaction that may share its commit with other work of the process (the
 * engine's group commit, src/db/group-commit.ts): senders and the outbound worker write through it, so
 * a busy process pays one commit for many sends' records instead of one or two each. `keys` name what
 * the work changes; work naming the same key never shares a commit. The work may run twice (alone,
 * when its group failed), so it must do nothing outside the transaction.
 */
export type RunTransaction = <T>(work: (tx: TransactionSql) => Promise<T>, keys: readonly string[]) => Promise<T>;

/** The engine's transactions, for work that writes no outbox entries of its own. */
export function engineTransactions(engine: Engine): RunTransaction {
  return (work, keys) => engine.transaction((tx) => work(tx), keys);
}

/** A send prepared in the outbound worker's transaction (see ChannelSender.prepare), made once it has committed. */
export type PreparedSend = () => Promise<SendResult>;

export interface ChannelSender {
  send(message: OutboundMessage): Promise<SendResult>;
  /**
   * The same send in two parts: what it writes and reads before anything leaves (a claim, a check),
   * run in the transaction in which the outbound worker read the message, so that both share its
   * round trips and its commit; and the send itself, made after that transaction commits. It may run
   * twice (as RunTransaction's work), and throws a PermanentSendError before its first statement or
   * not at all. Without it, the worker calls `send` after reading the message.
   */
  prepare?(tx: TransactionSql, message: OutboundMessage): Promise<PreparedSend>;
}

/** A send that must not be retried (the provider refused it for good). */
export class PermanentSendError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'PermanentSendError';
    this.code = code;
  }
}
