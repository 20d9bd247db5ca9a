// The `sms` ChannelSender the outbound worker calls for each pending SMS (agents' replies,
// acknowledgements, keyword answers). It refuses for good (PermanentSendError) what can never be sent:
// a message to a sender who has opted out (checked again here, in the outbound worker's transaction that
// read the message, so a reply queued before a STOP is not sent after it), a text over the number's segment limit, an unknown number, a provider's rejection.
// Provider unavailability (429, 5xx, network) is rethrown so BullMQ retries with backoff; every
// attempt carries the message id as idempotency key, so a retry of an attempt that did reach the
// provider is not sent twice.
import type { TransactionSql } from 'postgres';
import { PermanentSendError, type ChannelSender, type OutboundMessage, type RunTransaction, type SendResult } from '../channel-sender.ts';
import { SENT_DESPITE_OPT_OUT } from './automatic-reply.ts';
import { SmsChannelError, SmsProviderRetryableError } from './errors.ts';
import { sendGenericMessage } from './generic-client.ts';
import { isOptedOut } from './opt-outs.ts';
import type { SmsProviderConfig } from './sms-config.ts';
import type { SmsDirectory } from './sms-directory.ts';
import { countSegments } from './segments.ts';
import { sendTwilioMessage, type SentTwilioMessage } from './twilio-client.ts';

export interface SmsSenderOptions {
  /** Where the opt-out is read (the engine's transactions: a read shares a busy process's commits). */
  transaction: RunTransaction;
  directory: SmsDirectory;
  timeoutMs?: number;
}

/** Where the provider reports this message's delivery status (its id in the query identifies it). */
export function statusCallbackUrl(provider: SmsProviderConfig, messageId: string): string | undefined {
  if (provider.webhookBaseUrl === undefined) return undefined;
  return `${provider.webhookBaseUrl}/webhooks/sms/${encodeURIComponent(provider.id)}/status?messageId=${encodeURIComponent(messageId)}`;
}

export function createSmsSender(options: SmsSenderOptions): ChannelSender {
  const { transaction, directory } = options;

  /** What a send needs of the configuration and of the text; refused for good when it cannot be sent. */
  const resolve = (message: OutboundMessage) => {
    const number = directory.number(message.fromAddress);
    if (number === undefined) throw new PermanentSendError('UNKNOWN_NUMBER', `${message.fromAddress} is not a configured SMS number`);
    const provider = directory.provider(number.provider);
    if (provider === undefined) throw new PermanentSendError('UNKNOWN_SMS_PROVIDER', `SMS provider "${number.provider}" is not configured`);
    const count = countSegments(message.body);
    if (count.segments > number.maxSegments) {
      throw new PermanentSendError('SMS_TOO_MANY_SEGMENTS', `the message needs ${count.segments} segments; at most ${number.maxSegments} are allowed`);
    }
    const secret = directory.secretOf(provider);
    if (secret === undefined) {
      throw new PermanentSendError('SMS_PROVIDER_NOT_CONFIGURED', `SMS provider "${provider.id}" has no secret: environment variable ${provider.authTokenEnv ?? ''} is not set`);
    }
    const kind = typeof message.metadata.kind === 'string' ? message.metadata.kind : 'reply';
    return { number, provider, count, secret, checkOptOut: !SENT_DESPITE_OPT_OUT.has(kind) };
  };

  /** Whether the customer has opted out, read in the caller's transaction (when the message's kind is refused to them). */
  const optedOut = async (tx: TransactionSql, message: OutboundMessage, target: ReturnType<typeof resolve>) =>
    target.checkOptOut && (await isOptedOut(tx, target.number.number, message.toAddress));

  const deliver = async (message: OutboundMessage, target: ReturnType<typeof resolve>, refused: boolean): Promise<SendResult> => {
    const { number, provider, count, secret } = target;
    if (refused) throw new PermanentSendError('SMS_OPTED_OUT', `${message.toAddress} has opted out of messages from ${number.number}`);
    const common = {
      from: number.number,
      to: message.toAddress,
      body: message.body,
      statusCallback: statusCallbackUrl(provider, message.id),
      idempotencyKey: message.id,
      timeoutMs: options.timeoutMs,
    };
    let sent: SentTwilioMessage;
    try {
      sent =
        provider.type === 'twilio'
          ? await sendTwilioMessage({ ...common, baseUrl: provider.baseUrl, accountSid: provider.accountSid ?? '', authToken: secret })
          : await sendGenericMessage({ ...common, baseUrl: provider.baseUrl, secret });
    } catch (error) {
      if (error instanceof SmsProviderRetryableError) throw error;
      if (error instanceof SmsChannelError) throw new PermanentSendError(error.code, error.message);
      throw error;
    }
    return {
      externalId: sent.sid,
      metadata: { provider: provider.id, providerStatus: sent.status, encoding: count.encoding, segments: count.segments },
      record: (tx) => tx`
        insert into sms_message_status (message_id, provider, provider_message_id, status)
        values (${message.id}, ${provider.id}, ${sent.sid}, ${sent.status})
        on conflict (message_id, status) do nothing`,
    };
  };

  return {
    async send(message: OutboundMessage): Promise<SendResult> {
      const target = resolve(message);
      const refused = target.checkOptOut && (await transaction((tx) => isOptedOut(tx, target.number.number, message.toAddress), []));
      return deliver(message, target, refused);
    },
    async prepare(tx: TransactionSql, message: OutboundMessage) {
      const target = resolve(message);
      const refused = await optedOut(tx, message, target);
      return () => deliver(message, target, refused);
    },
  };
}
