/**
 * POP3 against the real Dovecot: messages are read byte for byte (8-bit text, lines starting with a
 * dot), captured, and deleted only after commit (at QUIT); with `keep` each message is captured once
 * however often the maildrop is polled, recognised by its UIDL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToMailbox, clearMailbox, listMailbox, startSmtpSink, type SmtpSink } from '../support/mail-servers.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';
import { emailConfig, pop3Mailbox } from './support/email-config.ts';
import { message } from './support/messages.ts';

const DELETING = 'orders@example.test';
const KEEPING = 'agent@example.test';

let sb: TestSwitchboard;
let sink: SmtpSink;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  sink = await startSmtpSink();
  await Promise.all([DELETING, KEEPING].map((user) => clearMailbox(user)));
  sb = await startTestSwitchboard(
    emailConfig({
      smtpPort: sink.port,
      mailboxes: [
        pop3Mailbox('pop-delete', DELETING, { afterCapture: 'delete' }),
        pop3Mailbox('pop-keep', KEEPING, { afterCapture: 'keep', address: 'orders@example.test' }),
      ],
    }),
  );
});

afterAll(async () => {
  await sb?.stop();
  await sink?.close();
  await Promise.all([DELETING, KEEPING].map((user) => clearMailbox(user)));
});

async function captured(rfcMessageId: string) {
  const [row] = await sb.database.sql<{ body: string; interaction_id: string; state: string; category: string | null; to_address: string }[]>`
    select m.body, m.interaction_id, i.state, i.category, i.to_address
    from messages m join interactions i on i.id = m.interaction_id where m.external_id = ${rfcMessageId} and m.direction = 'in'`;
  return row;
}

describe('POP3 mailboxes', () => {
  it('captures a message byte for byte and deletes it after the commit', async () => {
    const body = ['Grüße aus Köln — déjà vu ✓', '.a line that starts with a dot', '.', '..two dots', 'end'].join('\n');
    const mail = message({ from: 'Jörg Müller <joerg@customer.example>', to: DELETING, subject: 'Lieferung überfällig', body });
    await appendToMailbox(DELETING, mail.raw);

    await expect.poll(async () => (await captured(mail.messageId))?.state, { timeout: 10_000 }).toBe('queued');
    const row = (await captured(mail.messageId))!;
    expect(row.body.replace(/\r\n/g, '\n').trim()).toBe(body);
    expect(row.category).toBe('general'); // orders@example.test's category
    expect(row.to_address).toBe('orders@example.test');
    const [stored] = await sb.database.sql<{ raw: Buffer; subject: string }[]>`
      select raw, subject from email_messages where rfc_message_id = ${mail.messageId}`;
    expect(stored!.subject).toBe('Lieferung überfällig');
    expect(stored!.raw.toString('utf8')).toContain('\r\n.a line that starts with a dot\r\n.\r\n..two dots\r\n');
    const [contact] = await sb.database.sql<{ email: string; name: string }[]>`select email, name from contacts where email = 'joerg@customer.example'`;
    expect(contact).toEqual({ email: 'joerg@customer.example', name: 'Jörg Müller' });

    await expect.poll(async () => (await listMailbox(DELETING)).length, { timeout: 10_000 }).toBe(0);
    const [items] = await sb.database.sql<{ n: number }[]>`
      select count(*)::int as n from email_mailbox_items where mailbox_id = 'pop-delete' and removed_at is not null`;
    expect(items!.n).toBe(1);
  });

  it('keep: leaves messages in the maildrop and captures each once', async () => {
    const first = message({ from: 'Kim Keep <kim@customer.example>', to: 'orders@example.test', subject: 'one' });
    const second = message({ from: 'Kim Keep <kim@customer.example>', to: 'orders@example.test', subject: 'two' });
    await appendToMailbox(KEEPING, first.raw);
    await appendToMailbox(KEEPING, second.raw);
    await expect.poll(async () => Boolean((await captured(first.messageId)) && (await captured(second.messageId))), { timeout: 10_000 }).toBe(true);

    await sleep(1_000); // several more polls
    const [count] = await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions where from_address = 'kim@customer.example'`;
    expect(count!.n).toBe(2);
    expect(await listMailbox(KEEPING)).toHaveLength(2);
    const [state] = await sb.database.sql<{ failures: number; last_success_at: Date | null }[]>`
      select failures, last_success_at from email_mailboxes where id = 'pop-keep'`;
    expect(state!.failures).toBe(0);
    expect(state!.last_success_at).not.toBeNull();
  });
});
