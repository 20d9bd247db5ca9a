/**
 * What happens in the mailbox after capture, on the real Dovecot over IMAP: `delete` removes the
 * message, `move:<folder>` moves it (creating the folder), `keep` leaves it untouched, flags
 * included, and captures it once however often the folder is polled and whether or not another
 * client read it. A new UIDVALIDITY makes the poller read the folder again, and copies it captured
 * before are recognised by their Message-ID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToMailbox, clearMailbox, listMailbox, startSmtpSink, withImap, type SmtpSink } from '../support/mail-servers.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';
import { emailConfig, imapMailbox } from './support/email-config.ts';
import { message } from './support/messages.ts';

const DELETING = 'support@example.test';
const MOVING = 'orders@example.test';
const KEEPING = 'billing@example.test';
const RESCANNING = 'customer@example.test';
const USERS = [DELETING, MOVING, KEEPING, RESCANNING];

let sb: TestSwitchboard;
let sink: SmtpSink;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


async function captures(mailbox: string): Promise<{ message_key: string; kind: string }[]> {
  return sb.database.sql<{ message_key: string; kind: string }[]>`
    select message_key, kind from email_inbound where mailbox_id = ${mailbox} order by captured_at, message_key`;
}

async function interactionsFrom(address: string): Promise<number> {
  const [row] = await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions where from_address = ${address}`;
  return row!.n;
}

beforeAll(async () => {
  sink = await startSmtpSink();
  await Promise.all(USERS.map((user) => clearMailbox(user)));
  await withImap(RESCANNING, async (client) => {
    await client.mailboxDelete('Cases').catch(() => undefined);
    await client.mailboxCreate('Cases');
  });
  await withImap(MOVING, (client) => client.mailboxDelete('Processed').catch(() => undefined));
  sb = await startTestSwitchboard(
    emailConfig({
      smtpPort: sink.port,
      mailboxes: [
        imapMailbox('deleting', DELETING, { afterCapture: 'delete' }),
        imapMailbox('moving', MOVING, { afterCapture: 'move:Processed' }),
        imapMailbox('keeping', KEEPING, { afterCapture: 'keep' }),
        imapMailbox('rescanning', RESCANNING, { afterCapture: 'keep', folder: 'Cases', address: 'support@example.test' }),
      ],
    }),
  );
});

afterAll(async () => {
  await sb?.stop();
  await sink?.close();
  await withImap(RESCANNING, (client) => client.mailboxDelete('Cases').catch(() => undefined));
  await Promise.all(USERS.map((user) => clearMailbox(user)));
});

describe('after capture', () => {
  it('delete: the message leaves the mailbox once its interaction is committed', async () => {
    const mail = message({ from: 'Del Eted <deleted@customer.example>', to: DELETING });
    await appendToMailbox(DELETING, mail.raw);
    await expect.poll(async () => (await captures('deleting')).length, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await listMailbox(DELETING)).length, { timeout: 10_000 }).toBe(0);
    expect(await interactionsFrom('deleted@customer.example')).toBe(1);
  });

  it('move:<folder>: the message is moved into the folder, which is created when missing', async () => {
    const mail = message({ from: 'Moe Ved <moved@customer.example>', to: MOVING });
    await appendToMailbox(MOVING, mail.raw);
    await expect.poll(async () => (await listMailbox(MOVING)).length, { timeout: 10_000 }).toBe(0);
    const moved = await listMailbox(MOVING, 'Processed');
    expect(moved).toHaveLength(1);
    expect(moved[0]!.raw.toString()).toContain(mail.messageId);
    expect(await captures('moving')).toEqual([{ message_key: mail.messageId, kind: 'new' }]);
    expect(await interactionsFrom('moved@customer.example')).toBe(1);
  });

  it('keep: the message stays untouched and is captured once, whether or not another client read it', async () => {
    const unread = message({ from: 'Kee Pin <kept@customer.example>', to: KEEPING, subject: 'first' });
    const read = message({ from: 'Kee Pin <kept@customer.example>', to: KEEPING, subject: 'second' });
    await appendToMailbox(KEEPING, unread.raw);
    // Another client has already opened this one.
    await withImap(KEEPING, (client) => client.append('INBOX', read.raw, ['\\Seen']));
    await expect.poll(async () => (await captures('keeping')).length, { timeout: 10_000 }).toBe(2);

    await sleep(1_000); // several more polls
    const stored = await listMailbox(KEEPING);
    // \Recent is the server's own (the poller opens the folder read-only, so it even stays).
    expect(stored.map((m) => m.flags.filter((flag) => flag !== '\\Recent').sort())).toEqual([[], ['\\Seen']]);
    expect(await captures('keeping')).toHaveLength(2);
    expect(await interactionsFrom('kept@customer.example')).toBe(2);

    // A later message is captured too: the UID of the last capture is remembered, not a flag.
    const third = message({ from: 'Kee Pin <kept@customer.example>', to: KEEPING, subject: 'third' });
    await appendToMailbox(KEEPING, third.raw);
    await expect.poll(async () => (await captures('keeping')).length, { timeout: 10_000 }).toBe(3);
    expect(await listMailbox(KEEPING)).toHaveLength(3);
  });

  it('reads the folder again after UIDVALIDITY changed, capturing only what is new', async () => {
    const first = message({ from: 'Re Scan <rescan@customer.example>', to: RESCANNING, subject: 'one' });
    const second = message({ from: 'Re Scan <rescan@customer.example>', to: RESCANNING, subject: 'two' });
    await appendToMailbox(RESCANNING, first.raw, 'Cases');
    await appendToMailbox(RESCANNING, second.raw, 'Cases');
    await expect.poll(async () => (await captures('rescanning')).length, { timeout: 10_000 }).toBe(2);
    const [before] = await sb.database.sql<{ uid_validity: string }[]>`select uid_validity::text from email_mailboxes where id = 'rescanning'`;

    // The folder is recreated (as after a restore or a server migration): new UIDVALIDITY, same messages, one new.
    await withImap(RESCANNING, async (client) => {
      await client.mailboxDelete('Cases');
      await client.mailboxCreate('Cases');
    });
    const third = message({ from: 'Re Scan <rescan@customer.example>', to: RESCANNING, subject: 'three' });
    for (const mail of [first, second, third]) await appendToMailbox(RESCANNING, mail.raw, 'Cases');

    await expect.poll(async () => (await captures('rescanning')).length, { timeout: 10_000 }).toBe(3);
    await expect
      .poll(async () => (await sb.database.sql<{ uid_validity: string }[]>`select uid_validity::text from email_mailboxes where id = 'rescanning'`)[0]?.uid_validity)
      .not.toBe(before!.uid_validity);
    await sleep(600);
    expect(await interactionsFrom('rescan@customer.example')).toBe(3);
    const copies = await sb.database.sql<{ outcome: string; n: number }[]>`
      select outcome, count(*)::int as n from email_mailbox_items where mailbox_id = 'rescanning' group by outcome order by outcome`;
    expect(copies).toEqual([
      { outcome: 'captured', n: 3 },
      { outcome: 'duplicate', n: 2 },
    ]);
  });
});
