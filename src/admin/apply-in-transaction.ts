/**
 * Brings everything Postgres derives from the configuration in line with it, inside the transaction
 * that stores it: users and agents (token hashes, roles, workgroups, skills, capacity), agents no
 * longer configured logged out and taken off every workgroup, and the standard response library.
 */
import type { TransactionSql } from 'postgres';
import type { Config } from '../config/schema.ts';
import { syncResponses } from '../desk/responses.ts';
import type { OutboxEntry } from '../engine/outbox.ts';
import { applyPresenceEvent } from '../engine/presence-runtime.ts';
import { syncConfigInTransaction } from '../engine/sync-config.ts';

export async function applyConfigInTransaction(tx: TransactionSql, config: Config, now: Date, outbox: OutboxEntry[]): Promise<void> {
  await syncConfigInTransaction(tx, config, now, outbox);
  const agents = config.users.filter((u) => u.role === 'agent').map((u) => u.id);
  const retired = await tx<{ id: string; status: string }[]>`
    update agents set workgroups = '{}' where not (id = any(${agents}::text[])) and (status <> 'logged_out' or workgroups <> '{}')
    returning id, status`;
  for (const agent of retired) {
    if (agent.status !== 'logged_out') {
      await applyPresenceEvent(tx, agent.id, { type: 'LOG_OUT', at: now.toISOString() }, 'system:config', now, outbox);
    }
  }
  await syncResponses(tx, config.responses, now);
}
