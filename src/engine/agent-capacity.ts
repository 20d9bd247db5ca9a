/**
 * Agent capacity per media type. A reservation is one conditional UPDATE: it succeeds only while the
 * agent is available and under capacity, so concurrent routers in any number of processes can never
 * push an agent over its capacity.
 */
import type { TransactionSql } from 'postgres';
import type { Channel } from '../../machines/interaction.types.ts';
import { holdKey } from '../db/group-commit.ts';
import { keyOf } from './commit-keys.ts';

export async function reserveCapacity(tx: TransactionSql, agentId: string, channel: Channel, now: Date): Promise<boolean> {
  holdKey(tx, keyOf.agent(agentId));
  const rows =
    channel === 'email'
      ? await tx`update agents set load_email = load_email + 1, idle_since = ${now}
                 where id = ${agentId} and status = 'available' and load_email < cap_email returning id`
      : await tx`update agents set load_sms = load_sms + 1, idle_since = ${now}
                 where id = ${agentId} and status = 'available' and load_sms < cap_sms returning id`;
  return rows.length === 1;
}

/** Gives a unit of capacity back; the agent is held from here to the end of the transaction (see holdKey). */
export async function releaseCapacity(tx: TransactionSql, agentId: string, channel: Channel): Promise<void> {
  holdKey(tx, keyOf.agent(agentId));
  if (channel === 'email') {
    await tx`update agents set load_email = greatest(load_email - 1, 0) where id = ${agentId}`;
  } else {
    await tx`update agents set load_sms = greatest(load_sms - 1, 0) where id = ${agentId}`;
  }
}
