// Where each mailbox stands, in Postgres so every process sees it: the IMAP UIDVALIDITY and the last
// UID captured (advanced once a batch of captures is committed), and how polling went (failures, the moment
// before which the next poll waits, the last error), which /healthz reports.
import type { Sql, TransactionSql } from 'postgres';

export interface MailboxState {
  id: string;
  /** As a decimal string (UIDVALIDITY is an unsigned 32-bit number). */
  uidValidity: string | null;
  lastUid: number;
  failures: number;
  retryAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastSuccessAt: Date | null;
  lastPollAt: Date | null;
  lastCaptured: number;
}

interface Row {
  id: string;
  uid_validity: string | null;
  last_uid: string;
  failures: number;
  retry_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  last_success_at: Date | null;
  last_poll_at: Date | null;
  last_captured: number;
}

const toState = (row: Row): MailboxState => ({
  id: row.id,
  uidValidity: row.uid_validity,
  lastUid: Number(row.last_uid),
  failures: row.failures,
  retryAt: row.retry_at,
  lastError: row.last_error,
  lastErrorAt: row.last_error_at,
  lastSuccessAt: row.last_success_at,
  lastPollAt: row.last_poll_at,
  lastCaptured: row.last_captured,
});

export async function loadMailboxState(sql: Sql | TransactionSql, id: string): Promise<MailboxState> {
  await sql`insert into email_mailboxes (id) values (${id}) on conflict (id) do nothing`;
  const [row] = await sql<Row[]>`
    select id, uid_validity::text as uid_validity, last_uid::text as last_uid, failures, retry_at, last_error, last_error_at,
           last_success_at, last_poll_at, last_captured
    from email_mailboxes where id = ${id}`;
  return toState(row!);
}

export async function loadMailboxStates(sql: Sql, ids: readonly string[]): Promise<MailboxState[]> {
  const rows = await sql<Row[]>`
    select id, uid_validity::text as uid_validity, last_uid::text as last_uid, failures, retry_at, last_error, last_error_at,
           last_success_at, last_poll_at, last_captured
    from email_mailboxes where id = any(${ids as string[]}::text[])`;
  return rows.map(toState);
}

/** A new UIDVALIDITY: the old UIDs mean nothing any more, so the folder is read again from the start (copies already captured are recognised by their Message-ID). */
export async function resetUidValidity(sql: Sql, id: string, uidValidity: string): Promise<void> {
  await sql`update email_mailboxes set uid_validity = ${uidValidity}::bigint, last_uid = 0, updated_at = now() where id = ${id}`;
}

/** Every UID up to `uid` is captured (or recorded as a copy). A no-op when UIDVALIDITY changed meanwhile. */
export async function advanceLastUid(sql: Sql, id: string, uidValidity: string, uid: number): Promise<void> {
  await sql`
    update email_mailboxes set last_uid = greatest(last_uid, ${uid}), updated_at = now()
    where id = ${id} and uid_validity = ${uidValidity}::bigint`;
}

export async function recordPollSuccess(sql: Sql, id: string, captured: number, now: Date): Promise<void> {
  await sql`
    update email_mailboxes set failures = 0, retry_at = null, last_success_at = ${now}, last_poll_at = ${now},
           last_captured = ${captured}, updated_at = ${now}
    where id = ${id}`;
}

/** Counts a failure and sets the next poll back: pollEvery doubled per failure in a row, at most maxBackoffMs. */
export async function recordPollFailure(
  sql: Sql,
  id: string,
  error: string,
  options: { pollEveryMs: number; maxBackoffMs: number; now: Date },
): Promise<MailboxState> {
  const [row] = await sql<{ failures: number }[]>`
    update email_mailboxes set failures = failures + 1, last_error = ${error}, last_error_at = ${options.now},
           last_poll_at = ${options.now}, updated_at = ${options.now}
    where id = ${id} returning failures`;
  const failures = row?.failures ?? 1;
  const delay = Math.min(options.maxBackoffMs, options.pollEveryMs * 2 ** Math.min(failures - 1, 20));
  await sql`update email_mailboxes set retry_at = ${new Date(options.now.getTime() + delay)} where id = ${id}`;
  return loadMailboxState(sql, id);
}
