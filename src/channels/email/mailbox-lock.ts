// Never two polls of one mailbox at once, across every process: a poll holds a Postgres session
// advisory lock on its mailbox for as long as it runs. A process that dies loses its database session
// and with it the lock, so nothing has to expire before another process may poll.
import type { Sql } from 'postgres';

const LOCK_SPACE = 'switchboard.email.mailbox';

/** Runs `work` holding the mailbox's lock; resolves `{ locked: false }` at once when another poll holds it. */
export async function withMailboxLock<T>(sql: Sql, mailboxId: string, work: () => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }> {
  const session = await sql.reserve();
  try {
    const [row] = await session<{ locked: boolean }[]>`
      select pg_try_advisory_lock(hashtext(${LOCK_SPACE}), hashtext(${mailboxId})) as locked`;
    if (!row?.locked) return { locked: false };
    try {
      return { locked: true, value: await work() };
    } finally {
      await session`select pg_advisory_unlock(hashtext(${LOCK_SPACE}), hashtext(${mailboxId}))`.catch(() => undefined);
    }
  } finally {
    session.release();
  }
}
