import type { PendingQuery, Row } from 'postgres';

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
   * not yet run: the outbound worker runs it inside the statement that marks the message sent, so both
   * are written together, in one round trip and one commit.
   */
  record?: PendingQuery<Row[]>;
}

export interface ChannelSender {
  send(message: OutboundMessage): Promise<SendResult>;
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
