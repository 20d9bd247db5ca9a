// What the classifier and the capture need to know about stored threads, answered inside the
// capture's transaction: which Message-IDs are messages Switchboard received or sent, who takes part
// in the interaction with a reference number, and which interaction a reply continues (locked, so it
// cannot close between the check and the append).
import type { TransactionSql } from 'postgres';
import type { Classification, ThreadLookups } from './classify.ts';

export interface ThreadInteraction {
  id: string;
  reference: number;
  state: string;
  agentId: string | null;
  lastAgentId: string | null;
  category: string | null;
  subject: string | null;
  fromAddress: string;
  toAddress: string;
  contactId: string | null;
}

export const CLOSED_STATES: ReadonlySet<string> = new Set(['closed', 'discarded']);

export function transactionThreadLookups(tx: TransactionSql): ThreadLookups {
  return {
    async knownMessageIds(ids) {
      if (ids.length === 0) return [];
      const rows = await tx<{ rfc_message_id: string }[]>`
        select distinct rfc_message_id from email_messages where rfc_message_id = any(${ids}::text[])`;
      const known = new Set(rows.map((row) => row.rfc_message_id));
      return ids.filter((id) => known.has(id));
    },
    async threadSenderForReference(referenceNumber) {
      const [interaction] = await tx<{ id: string; from_address: string }[]>`
        select id, from_address from interactions where reference = ${referenceNumber} and channel = 'email'`;
      if (!interaction) return null;
      // The customer, and everyone who wrote into or was copied on the thread.
      const rows = await tx<{ address: string }[]>`
        select distinct lower(entry ->> 'address') as address
        from email_messages, jsonb_array_elements(coalesce(addresses -> 'from', '[]') || coalesce(addresses -> 'cc', '[]')) as entry
        where interaction_id = ${interaction.id} and direction = 'in'`;
      return [interaction.from_address, ...rows.map((row) => row.address)];
    },
  };
}

/** The interaction a reply continues, locked for the rest of the transaction; null when none is found. */
export async function lockThreadInteraction(tx: TransactionSql, classification: Classification): Promise<ThreadInteraction | null> {
  let interactionId: string | undefined;
  const ids = classification.threadMessageIds ?? [];
  if (ids.length > 0) {
    const [row] = await tx<{ interaction_id: string }[]>`
      select m.interaction_id from email_messages m join interactions i on i.id = m.interaction_id
      where m.rfc_message_id = any(${ids}::text[])
      order by (i.state = 'discarded'), m.created_at desc limit 1`;
    interactionId = row?.interaction_id;
  }
  if (interactionId === undefined && classification.referenceNumber !== undefined) {
    const [row] = await tx<{ id: string }[]>`
      select id from interactions where reference = ${classification.referenceNumber} and channel = 'email'`;
    interactionId = row?.id;
  }
  if (interactionId === undefined) return null;
  const [row] = await tx<
    {
      id: string;
      reference: string;
      state: string;
      agent_id: string | null;
      last_agent_id: string | null;
      category: string | null;
      subject: string | null;
      from_address: string;
      to_address: string;
      contact_id: string | null;
    }[]
  >`
    select id, reference, state, agent_id, last_agent_id, category, subject, from_address, to_address, contact_id
    from interactions where id = ${interactionId} for update`;
  if (!row) return null;
  return {
    id: row.id,
    reference: Number(row.reference),
    state: row.state,
    agentId: row.agent_id,
    lastAgentId: row.last_agent_id,
    category: row.category,
    subject: row.subject,
    fromAddress: row.from_address,
    toAddress: row.to_address,
    contactId: row.contact_id,
  };
}
