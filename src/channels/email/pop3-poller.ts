// One poll of a POP3 maildrop (node-pop3, see pop3-session.ts):
//
// 1. List every message with its unique id (UIDL) and size.
// 2. A message whose UIDL was recorded before was captured (or recognised as a copy) by an earlier
//    poll: it is only deleted, when the mailbox deletes and that has not happened yet.
// 3. Every other message is read (only its header section when it is over maxMessageBytes) and
//    captured in its own transaction, which records its UIDL; then it is marked for deletion.
// 4. QUIT makes the server apply the deletions; only then are they recorded. A session that ends
//    without QUIT (a crash, a dropped connection) deletes nothing, and the next poll does it.
import type { Sql } from 'postgres';
import type { CaptureDeps } from './capture-message.ts';
import { copyKey } from './mailbox-copy.ts';
import { captureWithFallback } from './capture-with-fallback.ts';
import { afterCaptureOf, type MailboxConfig } from './email-config.ts';
import { countOutcome, emptyPollResult, type PollHooks, type PollResult } from './poll-types.ts';
import { Pop3Session } from './pop3-session.ts';

export interface Pop3PollDeps extends CaptureDeps {
  sql: Sql;
  hooks?: PollHooks;
  /** Set when the process is stopping: the poll ends after the message at hand (and still QUITs). */
  signal?: AbortSignal;
}

export async function pollPop3(deps: Pop3PollDeps, mailbox: MailboxConfig): Promise<PollResult> {
  const session = await Pop3Session.open({
    host: mailbox.host,
    port: mailbox.port,
    secure: mailbox.secure,
    timeoutMs: mailbox.timeout,
    credentials: deps.directory.credentials(mailbox.auth),
  });
  const result = emptyPollResult();
  try {
    const listing = await session.uidl();
    if (listing.length === 0) {
      await session.quit();
      return result;
    }
    const sizes = await session.sizes();
    const keys = listing.map((entry) => copyKey({ protocol: 'pop3', uidl: entry.uidl }));
    const known = new Map(
      (
        await deps.sql<{ item_key: string; action: string; removed_at: Date | null }[]>`
          select item_key, action, removed_at from email_mailbox_items where mailbox_id = ${mailbox.id} and item_key = any(${keys}::text[])`
      ).map((row) => [row.item_key, row]),
    );
    const limit = deps.directory.parseLimits().maxMessageBytes;
    const deleting = afterCaptureOf(mailbox).action === 'delete';
    const deleted: string[] = [];

    for (const { number, uidl } of listing) {
      if (deps.signal?.aborted) break;
      const copy = { protocol: 'pop3' as const, uidl };
      const key = copyKey(copy);
      const seen = known.get(key);
      if (seen) {
        if (seen.action === 'delete' && seen.removed_at === null) {
          await session.delete(number);
          deleted.push(key);
        }
        continue;
      }
      const size = sizes.get(number) ?? 0;
      const truncated = size > limit;
      const raw = truncated ? await session.top(number, 0) : await session.retrieve(number);
      const outcome = await captureWithFallback(deps, { mailbox, copy, raw, size: Math.max(size, raw.length), truncated });
      countOutcome(result, outcome);
      await deps.hooks?.afterCapture?.(outcome, mailbox);
      if (deleting) {
        await session.delete(number);
        deleted.push(key);
      }
    }

    await session.quit();
    if (deleted.length > 0) {
      await deps.sql`update email_mailbox_items set removed_at = now() where mailbox_id = ${mailbox.id} and item_key = any(${deleted}::text[])`;
      result.removed = deleted.length;
    }
    return result;
  } finally {
    session.close();
  }
}

