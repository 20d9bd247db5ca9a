// The `email` ChannelSender the outbound worker calls for each pending email (agents' replies and
// acknowledgements), idempotent per message:
//
// - The Message-ID is derived from the message's id and recorded with the first attempt, so every
//   attempt carries the same one (and replies and bounces naming it find the message).
// - An attempt claims the send for a while (a lease); a second attempt meanwhile (a stalled job run
//   again) waits for it instead of sending too. The claim is made in the outbound worker's transaction
//   that read the message (`prepare`), in its round trips and its commit; `send` makes it in one of its own.
// - Acceptance by the SMTP server is recorded before the job completes (with the message marked sent,
//   see SendResult.record); a retry that finds it returns the recorded result and sends nothing.
// - A 5xx answer is final (PermanentSendError: the message is marked failed); a 4xx answer, a
//   connection failure or a timeout is thrown again for BullMQ to retry with backoff.
//
// What goes out: From the interaction's address (with its display name), `Re: [SB#n] <subject>`,
// In-Reply-To and References continuing the customer's last message, the agent's attachments;
// acknowledgements also carry `Auto-Submitted: auto-replied` and `X-Auto-Response-Suppress: All`.
import type { Logger } from 'pino';
import type { Sql, TransactionSql } from 'postgres';
import { keyOf } from '../../engine/commit-keys.ts';
import { PermanentSendError, type ChannelSender, type OutboundMessage, type RunTransaction, type SendResult } from '../channel-sender.ts';
import { ACKNOWLEDGEMENT_KIND } from './acknowledgement.ts';
import type { SmtpConfig } from './email-config.ts';
import type { EmailDirectory, ResolvedCredentials } from './email-directory.ts';
import { EmailChannelError } from './errors.ts';
import { domainOf, outboundMessageId } from './outbound-message-id.ts';
import { findReferenceToken, replySubject } from './reference-token.ts';
import type { SmtpTransports } from './smtp-transport.ts';
import { errorMessage } from './transient-errors.ts';

/** References kept: the first (the thread's root) and the most recent ones. */
const MAX_REFERENCES = 20;

export interface EmailSenderOptions {
  sql: Sql;
  /** Where the send's claim is written (the engine's transactions, see RunTransaction). */
  transaction: RunTransaction;
  directory: EmailDirectory;
  transports: SmtpTransports;
  logger: Logger;
}

interface SendRow {
  rfc_message_id: string;
  status: string;
  smtp_response: string | null;
  last_error: string | null;
  claimed: boolean;
}

interface Threading {
  inReplyTo: string | null;
  references: string[];
}

export function createEmailSender(options: EmailSenderOptions): ChannelSender {
  const { sql, transaction, directory, transports } = options;

  /** Where the message goes out from, and its Message-ID: refused for good when the configuration lacks them. */
  const resolve = (message: OutboundMessage) => {
    const smtp = directory.smtp();
    if (smtp === null) throw new PermanentSendError('EMAIL_NOT_CONFIGURED', 'no SMTP server is configured (smtp in the configuration)');
    const address = directory.address(message.fromAddress);
    if (!address) throw new PermanentSendError('EMAIL_UNKNOWN_ADDRESS', `${message.fromAddress} is not a configured address`);
    const credentials = smtpCredentials(directory, smtp);
    const rfcMessageId = outboundMessageId(message.id, directory.settings().messageIdDomain ?? domainOf(address.address));
    return { smtp, address, credentials, leaseMs: smtp.timeout * 4, rfcMessageId };
  };

  /**
   * Records the send and claims it for a lease, reads what the message needs, and (when claimed)
   * records it as sent in the thread: its statements pipelined, in the caller's transaction.
   */
  const claim = async (tx: TransactionSql, message: OutboundMessage, target: ReturnType<typeof resolve>) => {
    const { address, leaseMs, rfcMessageId } = target;
    const [, [send], threading, subject, attachments] = await Promise.all([
      tx`insert into email_sends (message_id, rfc_message_id, status) values (${message.id}, ${rfcMessageId}, 'sending') on conflict (message_id) do nothing`,
      tx<SendRow[]>`
        update email_sends s set
          attempts = s.attempts + case when b.free then 1 else 0 end,
          lease_until = case when b.free then now() + ${leaseMs} * interval '1 millisecond' else s.lease_until end,
          updated_at = now()
        from (select status = 'sending' and (lease_until is null or lease_until < now()) as free
              from email_sends where message_id = ${message.id} for update) b
        where s.message_id = ${message.id}
        returning s.rfc_message_id, s.status, s.smtp_response, s.last_error, b.free as claimed`,
      threadingOf(tx, message),
      subjectOf(tx, message),
      tx<{ filename: string | null; content_type: string; content: Buffer | null }[]>`
        select filename, content_type, content from email_attachments where message_id = ${message.id} and content is not null order by position`,
    ]);
    if (!send) throw new Error(`send record of message ${message.id} vanished`);
    if (send.status === 'sending' && send.claimed) {
      await tx`
        with subject_set as (update messages set subject = ${subject} where id = ${message.id})
        insert into email_messages (message_id, interaction_id, direction, rfc_message_id, in_reply_to, "references", addresses, subject)
        values (${message.id}, ${message.interactionId}, 'out', ${send.rfc_message_id}, ${threading.inReplyTo}, ${threading.references}::text[],
                ${tx.json({ from: [{ address: address.address, name: address.name ?? '' }], to: [{ address: message.toAddress, name: '' }] })}, ${subject})
        on conflict (message_id) do nothing`;
    }
    return { send, threading, subject, attachments };
  };

  /** What follows a committed claim: the recorded outcome of an earlier attempt, or the message handed to the SMTP server. */
  const deliver = async (message: OutboundMessage, target: ReturnType<typeof resolve>, claimed: Awaited<ReturnType<typeof claim>>): Promise<SendResult> => {
    const { smtp, address, credentials } = target;
    const { send, threading, subject, attachments } = claimed;
    const sentAs = { rfcMessageId: send.rfc_message_id, inReplyTo: threading.inReplyTo, references: threading.references, subject };
    if (send.status === 'accepted') return { externalId: send.rfc_message_id, metadata: { ...sentAs, smtpResponse: send.smtp_response } };
    if (send.status === 'rejected') throw new PermanentSendError('EMAIL_REJECTED', send.last_error ?? 'the SMTP server refused the message');
    if (!send.claimed) {
      throw new EmailChannelError('EMAIL_SEND_DEFERRED', `message ${message.id} is being sent by another attempt; trying again later`);
    }
    const acknowledgement = message.metadata.kind === ACKNOWLEDGEMENT_KIND;

    let response: string;
    try {
      const info = await transports.get(smtp, credentials).sendMail({
        from: { name: address.name ?? '', address: address.address },
        to: message.toAddress,
        subject,
        text: message.body,
        messageId: send.rfc_message_id,
        ...(threading.inReplyTo === null ? {} : { inReplyTo: threading.inReplyTo }),
        ...(threading.references.length === 0 ? {} : { references: threading.references }),
        headers: acknowledgement ? { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' } : {},
        attachments: attachments.map((attachment) => ({
          filename: attachment.filename ?? undefined,
          contentType: attachment.content_type,
          content: attachment.content ?? Buffer.alloc(0),
        })),
        envelope: { from: address.address, to: [message.toAddress] },
      });
      response = info.response;
    } catch (error) {
      const code = (error as { responseCode?: unknown }).responseCode;
      const reason = errorMessage(error).slice(0, 2_000);
      if (typeof code === 'number' && code >= 500 && code < 600) {
        await sql`update email_sends set status = 'rejected', last_error = ${reason}, lease_until = null, updated_at = now() where message_id = ${message.id}`;
        throw new PermanentSendError('EMAIL_REJECTED', `the SMTP server refused the message: ${reason}`);
      }
      await sql`update email_sends set last_error = ${reason}, lease_until = null, updated_at = now() where message_id = ${message.id}`;
      throw new EmailChannelError('EMAIL_SEND_DEFERRED', `SMTP ${smtp.host}:${smtp.port}: ${reason}`, { cause: error });
    }
    return {
      externalId: send.rfc_message_id,
      metadata: { ...sentAs, smtpResponse: response, attachments: attachments.length },
      record: (tx) => tx`
        update email_sends set status = 'accepted', smtp_response = ${response}, accepted_at = now(), lease_until = null, updated_at = now()
        where message_id = ${message.id}`,
    };
  };

  return {
    async send(message: OutboundMessage): Promise<SendResult> {
      const target = resolve(message);
      const claimed = await transaction((tx) => claim(tx, message, target), [keyOf.message(message.id)]);
      return deliver(message, target, claimed);
    },
    async prepare(tx: TransactionSql, message: OutboundMessage) {
      const target = resolve(message);
      const claimed = await claim(tx, message, target);
      return () => deliver(message, target, claimed);
    },
  };
}

function smtpCredentials(directory: EmailDirectory, smtp: SmtpConfig): ResolvedCredentials | null {
  try {
    return smtp.auth === undefined ? null : directory.credentials(smtp.auth);
  } catch (error) {
    if (error instanceof EmailChannelError) throw new PermanentSendError(error.code, error.message);
    throw error;
  }
}

/** Acknowledgements answer the message they acknowledge; replies continue the customer's most recent message. */
async function threadingOf(sql: TransactionSql, message: OutboundMessage): Promise<Threading> {
  const recorded = message.metadata;
  if (recorded.kind === ACKNOWLEDGEMENT_KIND) {
    return {
      inReplyTo: typeof recorded.inReplyTo === 'string' ? recorded.inReplyTo : null,
      references: Array.isArray(recorded.references) ? limitReferences(recorded.references.filter((ref): ref is string => typeof ref === 'string')) : [],
    };
  }
  const [last] = await sql<{ rfc_message_id: string; references: string[] }[]>`
    select rfc_message_id, "references" from email_messages
    where interaction_id = ${message.interactionId} and direction = 'in' and rfc_message_id is not null
    order by created_at desc limit 1`;
  if (!last) return { inReplyTo: null, references: [] };
  return { inReplyTo: last.rfc_message_id, references: limitReferences([...last.references.filter((ref) => ref !== last.rfc_message_id), last.rfc_message_id]) };
}

function limitReferences(references: string[]): string[] {
  if (references.length <= MAX_REFERENCES) return references;
  return [references[0] ?? '', ...references.slice(-(MAX_REFERENCES - 1))].filter(Boolean);
}

/** An acknowledgement's subject was rendered from its template; a reply's is `Re: [SB#n] <subject>`. */
async function subjectOf(sql: TransactionSql, message: OutboundMessage): Promise<string> {
  const [interaction] = await sql<{ reference: string; subject: string | null }[]>`
    select reference::text as reference, subject from interactions where id = ${message.interactionId}`;
  const reference = Number(interaction?.reference ?? 0);
  const written = (message.subject ?? interaction?.subject ?? '').replace(/[\r\n]+/g, ' ');
  if (message.metadata.kind === ACKNOWLEDGEMENT_KIND || reference < 1 || findReferenceToken(written) === reference) return written;
  return replySubject(written, reference);
}
