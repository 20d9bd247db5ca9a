// One poll of an IMAP folder (imapflow):
//
// 1. Select the folder (read-only when the mailbox keeps messages). A UIDVALIDITY other than the one
//    stored means the old UIDs are void: the folder is read again from the first UID, and copies
//    captured before are recognised by their Message-ID, so nothing is skipped or captured twice.
// 2. Finish what an earlier poll could not: copies captured but not yet deleted or moved.
// 3. Fetch every message above the last UID captured, in UID order and in batches bounded in count
//    and bytes, with BODY.PEEK (flags such as \Seen, set by other clients or not, play no part and are
//    left alone). A message over maxMessageBytes is fetched only in part and quarantined.
// 4. Capture each in its own transaction (several at once, but one sender's and one thread's
//    messages in order, see capture-groups.ts), then advance the last UID past the batch and delete
//    or move its copies. Nothing is removed before its capture committed; a crash in between leaves
//    the copies for step 2 of the next poll, and copies recorded but not yet behind the last UID are
//    recognised (not captured again) when they are fetched once more.
import { ImapFlow } from 'imapflow';
import type { Sql } from 'postgres';
import type { CaptureDeps } from './capture-message.ts';
import { copyKey } from './mailbox-copy.ts';
import { timed } from './capture-timings.ts';
import { captureWithFallback } from './capture-with-fallback.ts';
import { afterCaptureOf, formatAfterCapture, parseAfterCapture, type AfterCapture, type MailboxConfig } from './email-config.ts';
import { EmailChannelError } from './errors.ts';
import { captureGroups, runGroups } from './capture-groups.ts';
import { advanceLastUid, loadMailboxState, resetUidValidity } from './mailbox-state.ts';
import { countOutcome, emptyPollResult, type PollHooks, type PollResult } from './poll-types.ts';
import { errorMessage } from './transient-errors.ts';

const BATCH_MESSAGES = 100;
const BATCH_BYTES = 32 * 1024 * 1024;
/** How much of a message over the size limit is fetched (its header section, for the record). */
const TRUNCATED_BYTES = 64 * 1024;
const UID_SET_CHUNK = 500;

export interface ImapPollDeps extends CaptureDeps {
  sql: Sql;
  hooks?: PollHooks;
  /** Set when the process is stopping: the poll ends after the message at hand (its copy is still removed). */
  signal?: AbortSignal;
}

export function pollImap(deps: ImapPollDeps, mailbox: MailboxConfig): Promise<PollResult> {
  return timed('poll', mailbox.id, () => connectAndPoll(deps, mailbox));
}

async function connectAndPoll(deps: ImapPollDeps, mailbox: MailboxConfig): Promise<PollResult> {
  const credentials = deps.directory.credentials(mailbox.auth);
  const client = new ImapFlow({
    host: mailbox.host,
    port: mailbox.port,
    secure: mailbox.secure,
    auth: 'password' in credentials ? { user: credentials.user, pass: credentials.password } : { user: credentials.user, accessToken: credentials.accessToken },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: mailbox.timeout,
    greetingTimeout: mailbox.timeout,
    socketTimeout: mailbox.timeout,
  });
  // Errors after connect (a dropped socket) are also reported through the pending command; this
  // listener only keeps them from becoming uncaught.
  client.on('error', (error: unknown) => deps.logger.debug({ err: error, mailbox: mailbox.id }, 'IMAP connection error'));
  try {
    await client.connect();
  } catch (error) {
    throw new EmailChannelError('MAILBOX_UNAVAILABLE', `IMAP ${mailbox.host}:${mailbox.port}: ${describeImapError(error)}`, { cause: error });
  }
  try {
    return await pollFolder(deps, mailbox, client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function pollFolder(deps: ImapPollDeps, mailbox: MailboxConfig, client: ImapFlow): Promise<PollResult> {
  const after = afterCaptureOf(mailbox);
  const keep = after.action === 'keep';
  let lock;
  try {
    lock = await client.getMailboxLock(mailbox.folder, { readOnly: keep });
  } catch (error) {
    throw new EmailChannelError('MAILBOX_PROTOCOL_ERROR', `cannot open folder "${mailbox.folder}": ${describeImapError(error)}`, { cause: error });
  }
  const result = emptyPollResult();
  try {
    const selected = client.mailbox;
    if (!selected) throw new EmailChannelError('MAILBOX_PROTOCOL_ERROR', `folder "${mailbox.folder}" did not open`);
    const uidValidity = String(selected.uidValidity);
    const state = await loadMailboxState(deps.sql, mailbox.id);
    let lastUid = state.lastUid;
    if (state.uidValidity !== uidValidity) {
      if (state.uidValidity !== null) {
        deps.logger.warn({ mailbox: mailbox.id, before: state.uidValidity, now: uidValidity }, 'UIDVALIDITY changed; reading the folder again');
      }
      await resetUidValidity(deps.sql, mailbox.id, uidValidity);
      lastUid = 0;
    }

    if (!keep) result.removed += await finishPendingRemovals(deps, mailbox, client, uidValidity);
    if (selected.exists === 0) return result;

    const { uids, sizes } = await timed('imap_list', mailbox.id, () => listNewMessages(client, lastUid));
    if (uids.length === 0) return result;

    const limit = deps.directory.parseLimits().maxMessageBytes;
    const concurrency = deps.directory.settings().captureConcurrency;
    for (const batch of batchesOf(uids, sizes, limit)) {
      const removable: { uid: number; itemKey: string }[] = [];
      const fetched = await timed('imap_fetch', mailbox.id, () => fetchBatch(client, batch, sizes, limit));
      await runGroups(captureGroups(fetched), concurrency, async ({ uid, raw, size, truncated }) => {
        if (deps.signal?.aborted) return;
        const copy = { protocol: 'imap' as const, uidValidity, uid };
        const outcome = await captureWithFallback(deps, { mailbox, copy, raw, size, truncated });
        countOutcome(result, outcome);
        await deps.hooks?.afterCapture?.(outcome, mailbox);
        if (outcome.status !== 'copy_seen') removable.push({ uid, itemKey: copyKey(copy) });
      });
      // Every message of the batch is committed (a failure above ends the poll before this point).
      if (!deps.signal?.aborted) await advanceLastUid(deps.sql, mailbox.id, uidValidity, Math.max(...batch));
      if (!keep && removable.length > 0) {
        await timed('imap_remove', mailbox.id, () => removeCopies(client, after, removable.map((entry) => entry.uid)));
        await markRemoved(deps.sql, mailbox.id, removable.map((entry) => entry.itemKey));
        result.removed += removable.length;
      }
      if (deps.signal?.aborted) break;
    }
    return result;
  } finally {
    lock.release();
  }
}

/** The UIDs above lastUid, ascending, with each message's size. */
async function listNewMessages(client: ImapFlow, lastUid: number): Promise<{ uids: number[]; sizes: Map<number, number> }> {
  const found = await client.search({ uid: `${lastUid + 1}:*` }, { uid: true });
  const uids = (found || []).filter((uid) => uid > lastUid).sort((a, b) => a - b);
  const sizes = new Map<number, number>();
  for (const chunk of chunks(uids, UID_SET_CHUNK)) {
    for (const message of await client.fetchAll(chunk.join(','), { uid: true, size: true }, { uid: true })) sizes.set(message.uid, message.size ?? 0);
  }
  return { uids, sizes };
}

interface Fetched {
  uid: number;
  raw: Buffer;
  size: number;
  truncated: boolean;
}

async function fetchBatch(client: ImapFlow, batch: number[], sizes: Map<number, number>, limit: number): Promise<Fetched[]> {
  const whole = batch.filter((uid) => (sizes.get(uid) ?? 0) <= limit);
  const partial = batch.filter((uid) => (sizes.get(uid) ?? 0) > limit);
  const fetched: Fetched[] = [];
  if (whole.length > 0) {
    for (const message of await client.fetchAll(whole.join(','), { uid: true, source: true }, { uid: true })) {
      const raw = message.source ?? Buffer.alloc(0);
      fetched.push({ uid: message.uid, raw, size: sizes.get(message.uid) ?? raw.length, truncated: false });
    }
  }
  if (partial.length > 0) {
    for (const message of await client.fetchAll(partial.join(','), { uid: true, source: { maxLength: TRUNCATED_BYTES } }, { uid: true })) {
      fetched.push({ uid: message.uid, raw: message.source ?? Buffer.alloc(0), size: sizes.get(message.uid) ?? 0, truncated: true });
    }
  }
  // Messages expunged by another client meanwhile are simply absent.
  return fetched.sort((a, b) => a.uid - b.uid);
}

/** Consecutive UIDs in batches of at most BATCH_MESSAGES messages and about BATCH_BYTES (a message over the limit counts for its fetched part). */
function* batchesOf(uids: number[], sizes: Map<number, number>, limit: number): Generator<number[]> {
  let batch: number[] = [];
  let bytes = 0;
  for (const uid of uids) {
    const full = sizes.get(uid) ?? 0;
    const size = full > limit ? TRUNCATED_BYTES : full;
    if (batch.length > 0 && (batch.length >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(uid);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

async function finishPendingRemovals(deps: ImapPollDeps, mailbox: MailboxConfig, client: ImapFlow, uidValidity: string): Promise<number> {
  const pending = await deps.sql<{ item_key: string; uid: string; action: string }[]>`
    select item_key, uid::text as uid, action from email_mailbox_items
    where mailbox_id = ${mailbox.id} and removed_at is null and action <> 'keep' and uid_validity = ${uidValidity}::bigint
    order by uid`;
  if (pending.length === 0) return 0;
  const byAction = new Map<string, { uids: number[]; keys: string[] }>();
  for (const row of pending) {
    const entry = byAction.get(row.action) ?? { uids: [], keys: [] };
    entry.uids.push(Number(row.uid));
    entry.keys.push(row.item_key);
    byAction.set(row.action, entry);
  }
  for (const [action, entry] of byAction) {
    await timed('imap_remove', mailbox.id, () => removeCopies(client, parseAfterCapture(action) ?? { action: 'keep' }, entry.uids));
    await markRemoved(deps.sql, mailbox.id, entry.keys);
  }
  deps.logger.info({ mailbox: mailbox.id, count: pending.length }, 'removed copies captured by an earlier poll');
  return pending.length;
}

const createdFolders = new WeakMap<ImapFlow, Set<string>>();

async function removeCopies(client: ImapFlow, afterCapture: AfterCapture, uids: number[]): Promise<void> {
  for (const chunk of chunks(uids, UID_SET_CHUNK)) {
    const set = chunk.join(',');
    try {
      if (afterCapture.action === 'delete') {
        await client.messageDelete(set, { uid: true });
      } else if (afterCapture.action === 'move') {
        const created = createdFolders.get(client) ?? new Set<string>();
        if (!created.has(afterCapture.folder)) {
          await client.mailboxCreate(afterCapture.folder);
          created.add(afterCapture.folder);
          createdFolders.set(client, created);
        }
        await client.messageMove(set, afterCapture.folder, { uid: true });
      }
    } catch (error) {
      throw new EmailChannelError('MAILBOX_PROTOCOL_ERROR', `${formatAfterCapture(afterCapture)} failed: ${describeImapError(error)}`, { cause: error });
    }
  }
}

async function markRemoved(sql: Sql, mailboxId: string, itemKeys: string[]): Promise<void> {
  await sql`update email_mailbox_items set removed_at = now() where mailbox_id = ${mailboxId} and item_key = any(${itemKeys}::text[])`;
}

function chunks<T>(values: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < values.length; index += size) result.push(values.slice(index, index + size));
  return result;
}

/** imapflow puts the server's words in `responseText`; the message alone is often just "Command failed". */
function describeImapError(error: unknown): string {
  const details = error as { responseText?: unknown; code?: unknown; authenticationFailed?: unknown };
  const parts = [errorMessage(error)];
  if (typeof details.responseText === 'string' && details.responseText) parts.push(details.responseText);
  if (details.authenticationFailed === true) parts.push('authentication failed');
  else if (typeof details.code === 'string') parts.push(details.code);
  return parts.join(': ');
}
