// An inbound SMS, already authenticated and validated, handled in ONE transaction:
//
// 1. Claim the provider's message id (sms_inbound's primary key). A provider's retry finds it taken
//    and changes nothing; two copies arriving at once wait for each other on the key.
// 2. Serialize on the conversation (company number + sender, a transaction-scoped advisory lock taken
//    with the claim), so two quick messages from one customer cannot both start an interaction.
// 3. Mask the text with the number's rules before it is stored; keep the original only when the
//    number's masking says `keepOriginal`.
// 4. Keywords (the whole message): STOP & co. record an opt-out with its history and queue one
//    confirmation; START/UNSTOP/YES opt a sender who had opted out back in (from anyone else they are
//    ordinary text, e.g. "Yes" answering an agent's question); HELP/INFO are answered with the
//    number's help template.
// 5. The conversation: an interaction with this sender on this number that is not closed or
//    discarded gets the message appended (CUSTOMER_MESSAGE notifies the agent holding it; if the
//    interaction closed between the read and its row lock, it refuses the event and the message
//    starts a new interaction instead). Otherwise a
//    keyword starts a discarded interaction (reason opt_out, opt_in or help) that keeps the message
//    and the automatic answer without bothering an agent, and anything else starts a new interaction
//    through the engine's intake: screening rules, then the number's category, targeted at the agent
//    who last handled this sender on this number when the category routes to the last agent.
// 6. The acknowledgement, if the number has one, unless the sender has opted out.
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';
import type { Engine } from '../../engine/engine.ts';
import { cancelEarly, intake, reserveEarly } from '../../engine/intake.ts';
import { applyInteractionEvent } from '../../engine/interaction-runtime.ts';
import type { OutboxEntry } from '../../engine/outbox.ts';
import { appendStreamEvent } from '../../engine/stream.ts';
import { queueAutomaticReply, type AutomaticReplyKind } from './automatic-reply.ts';
import { classifyKeyword, type SmsKeyword } from './keywords.ts';
import { maskText } from './masking.ts';
import { recordOptOut } from './opt-outs.ts';
import { renderTemplate, type SmsNumberConfig } from './sms-config.ts';
import type { SmsDirectory } from './sms-directory.ts';

export const SMS_ACTOR = 'channel:sms';

export interface InboundMedia {
  url: string;
  contentType: string | null;
}

export interface InboundSms {
  /** Provider id from the configuration. */
  provider: string;
  providerMessageId: string;
  /** The company number it was sent to. */
  number: SmsNumberConfig;
  /** The sender, normalized to E.164 (or a short code). */
  sender: string;
  /** The text as received; masked before it is stored. */
  body: string;
  media: InboundMedia[];
}

export type InboundOutcome =
  | { status: 'duplicate' }
  | {
      status: 'accepted';
      interactionId: string;
      messageId: string;
      /** Appended to an open interaction, or started a new one. */
      conversation: 'appended' | 'new';
      /** The keyword that took effect, if any. */
      keyword: SmsKeyword | null;
      state: string;
    };

interface ConversationRow {
  opted_out: boolean | null;
  open_id: string | null;
  last_agent_id: string | null;
}

const KEYWORD_REPLY: Record<SmsKeyword, { template: 'optOutConfirmation' | 'optInConfirmation' | 'helpTemplate'; kind: AutomaticReplyKind }> = {
  opt_out: { template: 'optOutConfirmation', kind: 'opt_out_confirmation' },
  opt_in: { template: 'optInConfirmation', kind: 'opt_in_confirmation' },
  help: { template: 'helpTemplate', kind: 'help' },
};

export async function receiveSms(engine: Engine, directory: SmsDirectory, sms: InboundSms): Promise<InboundOutcome> {
  // One conversation's messages never share a commit: its advisory lock does not exclude a transaction's own members.
  return engine.transaction((tx, outbox, now) => receiveInTransaction(tx, outbox, now, engine, directory, sms), [
    `sms:${sms.number.number}:${sms.sender}`,
    `sms-message:${sms.provider}:${sms.providerMessageId}`,
  ]);
}

async function receiveInTransaction(
  tx: TransactionSql,
  outbox: OutboxEntry[],
  now: Date,
  engine: Engine,
  directory: SmsDirectory,
  sms: InboundSms,
): Promise<InboundOutcome> {
  const number = sms.number.number;
  const { sender } = sms;
  const messageId = randomUUID();
  // The interaction the message starts if it starts one: the claim records it from the start, and is
  // changed only when the message joins an open interaction or is a keyword.
  const newInteractionId = randomUUID();
  // The claim, with (only when it is new) the conversation's lock, then what is known of the
  // conversation: two statements sent together, one round trip. The second runs after the first,
  // under the lock, so it sees every message of this conversation committed before.
  const claim = tx`
    insert into sms_inbound (provider, provider_message_id, number, sender, message_id, interaction_id, received_at)
    values (${sms.provider}, ${sms.providerMessageId}, ${number}, ${sender}, ${messageId}, ${newInteractionId}, ${now})
    on conflict do nothing
    returning message_id, pg_advisory_xact_lock(hashtext(${number}), hashtext(${sender})) is not null as locked`.execute();
  const lookup = tx<ConversationRow[]>`
    select
      (select opted_out from sms_opt_outs where number = ${number} and sender = ${sender}) as opted_out,
      open.id as open_id,
      (select last_agent_id from interactions
        where from_address = ${sender} and to_address = ${number} and channel = 'sms' and last_agent_id is not null
        order by created_at desc limit 1) as last_agent_id
    from (select 1) as one
    left join lateral (
      select id from interactions
      where from_address = ${sender} and to_address = ${number} and channel = 'sms' and state not in ('closed', 'discarded')
      order by created_at desc limit 1
    ) as open on true`.execute();
  const classified = classifyKeyword(sms.body);
  const rules = directory.maskingRules(sms.number);
  const body = rules.length === 0 ? sms.body : maskText(sms.body, rules);
  // Most messages start a new interaction: the agent it will be offered to is reserved in the same round
  // trip as the claim and the lookup, and given back when the message turns out a provider's retry or
  // part of an open conversation. Not for a keyword, which starts none.
  const early = classified === null ? reserveEarly(tx, engine.config, { channel: 'sms', subject: null, body, defaultCategory: sms.number.category ?? null }, now) : null;
  const [claimed, [conversation]] = await Promise.all([claim, lookup]);
  // A provider's retry: the message is stored already (what was looked up is of no use).
  if (claimed.length === 0) {
    await cancelEarly(tx, early);
    return { status: 'duplicate' };
  }
  const optedOut = conversation?.opted_out ?? false;
  const openId = conversation?.open_id ?? null;

  // Opting in means something only to a sender who opted out; from anyone else it is ordinary text.
  const keyword = classified === 'opt_in' && !optedOut ? null : classified;
  if (sms.number.masking.keepOriginal && body !== sms.body) {
    await tx`insert into sms_originals (message_id, body, created_at) values (${messageId}, ${sms.body}, ${now})`;
  }
  const metadata = { provider: sms.provider, ...(sms.media.length > 0 ? { media: sms.media } : {}), ...(keyword ? { keyword } : {}) };

  // Appended to the open interaction, unless it closed since it was read (then it takes no events).
  const appended = openId === null ? null : await applyInteractionEvent(tx, openId, { type: 'CUSTOMER_MESSAGE', messageId }, SMS_ACTOR, now, outbox);
  const open = appended?.handled ? appended.after : null;

  let interactionId: string;
  let reference: number;
  let state: string;
  const acknowledge = keyword === null && open === null && sms.number.acknowledgement !== null && !optedOut;
  if (open !== null) {
    await cancelEarly(tx, early);
    await tx`
      insert into messages (id, interaction_id, direction, channel, from_address, to_address, subject, body, status, external_id, metadata, created_at, updated_at)
      values (${messageId}, ${open.id}, 'in', 'sms', ${sender}, ${number}, null, ${body}, 'received', ${sms.providerMessageId},
              ${tx.json(metadata as never)}, ${now}, ${now})`;
    interactionId = open.id;
    reference = open.context.reference;
    state = open.state;
  } else {
    const result = await intake(
      tx,
      engine,
      {
        id: newInteractionId,
        channel: 'sms',
        from: sender,
        to: number,
        subject: null,
        body,
        discardReason: keyword,
        acknowledged: acknowledge,
        lastAgentId: conversation?.last_agent_id ?? null,
        defaultCategory: sms.number.category ?? null,
        reservation: early,
        messageId,
        externalId: sms.providerMessageId,
        metadata,
        // A keyword that took effect is recorded with the claim in the same statement.
        also: (sql) =>
          keyword === null
            ? []
            : [sql`update sms_inbound set keyword = ${keyword} where provider = ${sms.provider} and provider_message_id = ${sms.providerMessageId}`],
      },
      SMS_ACTOR,
      now,
      outbox,
    );
    interactionId = result.id;
    reference = result.reference;
    state = result.state;
  }

  const reply = (kind: AutomaticReplyKind, text: string) =>
    queueAutomaticReply(tx, outbox, { interactionId, from: number, to: sender, body: renderTemplate(text, { reference, number }), kind, now });

  if (keyword === 'opt_out' || keyword === 'opt_in') {
    await recordOptOut(tx, {
      number,
      sender,
      action: keyword,
      keyword: sms.body.trim().slice(0, 64),
      provider: sms.provider,
      providerMessageId: sms.providerMessageId,
      now,
    });
    const holder = open?.context.agentId ?? null;
    if (holder !== null) {
      await appendStreamEvent(tx, holder, 'sms_opt_out', { interactionId, number, sender, optedOut: keyword === 'opt_out' }, outbox);
    }
  }
  // A repeated STOP from a sender already opted out is recorded but not confirmed again.
  if (keyword !== null && !(keyword === 'opt_out' && optedOut)) {
    const { template, kind } = KEYWORD_REPLY[keyword];
    await reply(kind, sms.number[template]);
  }
  if (acknowledge && sms.number.acknowledgement !== null) await reply('acknowledgement', sms.number.acknowledgement);

  if (open !== null) {
    await tx`
      update sms_inbound set interaction_id = ${interactionId}, keyword = ${keyword}
      where provider = ${sms.provider} and provider_message_id = ${sms.providerMessageId}`;
  }
  return { status: 'accepted', interactionId, messageId, conversation: open === null ? 'new' : 'appended', keyword, state };
}
