/**
 * Brings users and agents in Postgres in line with the configuration: token hashes (never tokens),
 * roles, and for agents their workgroups, skills and capacity. Presence and load are left alone.
 * Users no longer configured lose access.
 */
import type { TransactionSql } from 'postgres';
import { agentPresenceMachine, type Capacity } from '../../machines/agent-presence.machine.ts';
import { hashToken } from '../auth/tokens.ts';
import type { Config } from '../config/schema.ts';
import { keyOf, type Engine } from './engine.ts';
import { initialStep, persistSnapshot } from './machine-step.ts';
import type { OutboxEntry } from './outbox.ts';
import { applyPresenceEvent } from './presence-runtime.ts';
import { syncRoutingProfiles } from './routing-profiles.ts';

export async function syncConfig(engine: Engine, config: Config): Promise<void> {
  await engine.transaction((tx, outbox, now) => syncConfigInTransaction(tx, config, now, outbox), [keyOf.config()]);
}

/** The same, inside a transaction that also applies the rest of a configuration. */
export async function syncConfigInTransaction(tx: TransactionSql, config: Config, now: Date, outbox: OutboxEntry[]): Promise<void> {
  await tx`select pg_advisory_xact_lock(727275)`;
  const ids = config.users.map((u) => u.id);
  await tx`delete from users where not (id = any(${ids}::text[]))`;
  for (const user of config.users) {
    const tokenHash = user.tokenHash ?? hashToken(user.token ?? '');
    await tx`
      insert into users (id, name, role, token_hash, updated_at) values (${user.id}, ${user.name}, ${user.role}, ${tokenHash}, ${now})
      on conflict (id) do update set name = excluded.name, role = excluded.role, token_hash = excluded.token_hash, updated_at = excluded.updated_at`;
    if (user.role !== 'agent') continue;
    const capacity: Capacity = { email: user.capacity.email ?? 1, sms: user.capacity.sms ?? 1 };
    const [initial] = initialStep(agentPresenceMachine, { agentId: user.id, capacity, at: now.toISOString() });
    const [existing] = await tx<{ cap_email: number; cap_sms: number }[]>`
      insert into agents (id, status, status_since, workgroups, skills, cap_email, cap_sms, idle_since, snapshot)
      values (${user.id}, 'logged_out', ${now}, ${user.workgroups}, ${tx.json(user.skills)}, ${capacity.email}, ${capacity.sms}, ${now},
              ${tx.json(persistSnapshot(initial) as never)})
      on conflict (id) do update set workgroups = excluded.workgroups, skills = excluded.skills
      returning cap_email, cap_sms`;
    if (existing && (existing.cap_email !== capacity.email || existing.cap_sms !== capacity.sms)) {
      await applyPresenceEvent(tx, user.id, { type: 'SET_CAPACITY', capacity }, 'system', now, outbox);
    }
  }
  // After the agents, whose rows this transaction now holds, as routing takes an agent's before its slots.
  await syncRoutingProfiles(tx, config);
}
