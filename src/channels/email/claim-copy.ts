// The first statement of a capture, in one round trip: record this copy of the message in its
// mailbox (with what is to be done to it there) and say whether the message itself was captured
// before. A copy recorded before (a poll that stopped before it moved the folder's last UID past it)
// is not captured again.
//
// A message is known by its Message-ID (a hash of its bytes when it has none). A message that reuses
// the Message-ID of a different one (same id, different sender, subject or body) is known by the id
// and its content hash instead, so it is not mistaken for a second copy.
//
// Two captures of one message at once (only possible if the mailbox lock was lost) both pass this
// point; the second then fails on email_inbound's primary key, rolls back, and the next poll finds
// the message captured.
import type { TransactionSql } from 'postgres';
import { copyKey, type MailboxCopy } from './mailbox-copy.ts';

export type CopyClaim = { status: 'copy_seen' } | { status: 'duplicate'; messageKey: string } | { status: 'new'; messageKey: string };

export interface CopyToClaim {
  mailboxId: string;
  /** delete, keep or move:<folder> */
  action: string;
  copy: MailboxCopy;
  /** The Message-ID, or null when the message has none. */
  rfcMessageId: string | null;
  /** The Message-ID, or `sha256:<hex>` of the bytes. */
  primaryKey: string;
  contentHash: string;
  now: Date;
}

export async function claimCopy(tx: TransactionSql, claim: CopyToClaim): Promise<CopyClaim> {
  const { copy } = claim;
  const imap = copy.protocol === 'imap';
  const alternateKey = claim.rfcMessageId === null ? claim.primaryKey : `${claim.primaryKey}#${claim.contentHash.slice(0, 16)}`;
  const [row] = await tx<{ message_key: string; outcome: 'captured' | 'duplicate' | null }[]>`
    with existing as (
      select message_key, content_hash from email_inbound
      where mailbox_id = ${claim.mailboxId} and message_key in (${claim.primaryKey}, ${alternateKey})
    ), decided as (
      select case
        when exists (select 1 from existing where message_key = ${claim.primaryKey} and content_hash is not null and content_hash <> ${claim.contentHash})
             and ${alternateKey} <> ${claim.primaryKey} then ${alternateKey}
        else ${claim.primaryKey} end as message_key
    ), item as (
      insert into email_mailbox_items (mailbox_id, item_key, uid_validity, uid, uidl, message_key, outcome, action, seen_at)
      select ${claim.mailboxId}, ${copyKey(copy)}, ${imap ? copy.uidValidity : null}::bigint, ${imap ? copy.uid : null}::bigint,
             ${imap ? null : copy.uidl}, d.message_key,
             case when exists (select 1 from existing e where e.message_key = d.message_key) then 'duplicate' else 'captured' end,
             ${claim.action}, ${claim.now}
      from decided d
      on conflict (mailbox_id, item_key) do nothing
      returning outcome
    )
    select (select message_key from decided) as message_key, (select outcome from item) as outcome`;
  if (!row || row.outcome === null) return { status: 'copy_seen' };
  return { status: row.outcome === 'duplicate' ? 'duplicate' : 'new', messageKey: row.message_key };
}
