/** Contacts: found or created by normalized email address or E.164 phone number, safely under concurrency. */
import { randomUUID } from 'node:crypto';
import type { TransactionSql } from 'postgres';

export function normalizeEmailAddress(address: string): string {
  return address.trim().toLowerCase();
}

export async function findOrCreateContactByEmail(tx: TransactionSql, address: string, name?: string | null): Promise<string> {
  const email = normalizeEmailAddress(address);
  const [row] = await tx<{ id: string }[]>`
    insert into contacts (id, email, name) values (${randomUUID()}, ${email}, ${name ?? null})
    on conflict (email) do update set name = coalesce(contacts.name, excluded.name), updated_at = now()
    returning id`;
  return row!.id;
}

export async function findOrCreateContactByPhone(tx: TransactionSql, phone: string, name?: string | null): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    insert into contacts (id, phone, name) values (${randomUUID()}, ${phone}, ${name ?? null})
    on conflict (phone) do update set name = coalesce(contacts.name, excluded.name), updated_at = now()
    returning id`;
  return row!.id;
}

export interface ContactHistoryEntry {
  id: string;
  reference: number;
  channel: string;
  subject: string | null;
  state: string;
  disposition: string | null;
  lastAgentId: string | null;
  createdAt: string;
}

/** The contact's most recent interactions (other than `exceptId`), newest first. */
export async function recentContactHistory(tx: TransactionSql, contactId: string, exceptId: string, limit = 5): Promise<ContactHistoryEntry[]> {
  const rows = await tx<{ id: string; reference: number; channel: string; subject: string | null; state: string; disposition: string | null; last_agent_id: string | null; created_at: Date }[]>`
    select id, reference, channel, subject, state, disposition, last_agent_id, created_at from interactions
    where contact_id = ${contactId} and id <> ${exceptId} order by created_at desc limit ${limit}`;
  return rows.map((r) => ({
    id: r.id,
    reference: Number(r.reference),
    channel: r.channel,
    subject: r.subject,
    state: r.state,
    disposition: r.disposition,
    lastAgentId: r.last_agent_id,
    createdAt: r.created_at.toISOString(),
  }));
}
