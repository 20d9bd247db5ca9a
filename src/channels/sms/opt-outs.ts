// Opt-out state per sender and company number, with its history. A sender who opted out receives
// nothing from that number but the opt-out confirmation and answers to HELP, until it opts back in.
import type { Sql, TransactionSql } from 'postgres';

export type OptOutAction = 'opt_out' | 'opt_in';

/** Whether `sender` has opted out of messages from `number`. */
export async function isOptedOut(sql: Sql | TransactionSql, number: string, sender: string): Promise<boolean> {
  const [row] = await sql<{ opted_out: boolean }[]>`select opted_out from sms_opt_outs where number = ${number} and sender = ${sender}`;
  return row?.opted_out ?? false;
}

/** Records an opt-out or opt-in and its history row. */
export async function recordOptOut(
  tx: TransactionSql,
  change: { number: string; sender: string; action: OptOutAction; keyword: string; provider: string; providerMessageId: string; now: Date },
): Promise<void> {
  const optedOut = change.action === 'opt_out';
  await tx`
    insert into sms_opt_outs (number, sender, opted_out, updated_at) values (${change.number}, ${change.sender}, ${optedOut}, ${change.now})
    on conflict (number, sender) do update set opted_out = excluded.opted_out, updated_at = excluded.updated_at`;
  await tx`
    insert into sms_opt_out_events (number, sender, action, keyword, provider, provider_message_id, at)
    values (${change.number}, ${change.sender}, ${change.action}, ${change.keyword}, ${change.provider}, ${change.providerMessageId}, ${change.now})`;
}
