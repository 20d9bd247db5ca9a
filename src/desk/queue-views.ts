/**
 * What supervisors see of a workgroup: its queue (waiting interactions in the order routing takes
 * them: priority, then age), how many are offered, active and in wrap-up, and its agents with their
 * state, load and time in state. The same view is the supervisors' stream's `queue` event.
 */
import type { Sql, TransactionSql } from 'postgres';
import type { Config } from '../config/schema.ts';

export interface QueuedInteraction {
  id: string;
  reference: number;
  channel: string;
  state: string;
  statePath: string;
  priority: number;
  category: string | null;
  subject: string | null;
  targetAgentId: string | null;
  agentId: string | null;
  createdAt: string;
  ageSeconds: number;
  waitingSeconds: number;
}

export interface AgentView {
  id: string;
  name: string;
  workgroups: string[];
  status: string;
  reason: string | null;
  since: string;
  secondsInState: number;
  statusMessage: string | null;
  load: { email: number; sms: number };
  capacity: { email: number; sms: number };
}

export interface QueueView {
  workgroup: string;
  name: string;
  counts: { queued: number; offered: number; active: number; wrapUp: number };
  oldestWaitingSeconds: number | null;
  /** Waiting interactions (queued or offered), first to be routed first. */
  interactions: QueuedInteraction[];
  agents: AgentView[];
}

type Db = Sql | TransactionSql;
const seconds = (from: Date, now: Date) => Math.max(0, Math.floor((now.getTime() - from.getTime()) / 1_000));

interface InteractionRow {
  id: string;
  reference: number;
  channel: string;
  state: string;
  state_path: string;
  priority: number;
  category: string | null;
  subject: string | null;
  target_agent_id: string | null;
  agent_id: string | null;
  created_at: Date;
  queued_at: Date | null;
}

export async function waitingInteractions(db: Db, workgroup: string, now: Date, limit: number): Promise<QueuedInteraction[]> {
  const rows = await db<InteractionRow[]>`
    select id, reference, channel, state, state_path, priority, category, subject, target_agent_id, agent_id, created_at, queued_at
    from interactions where workgroup = ${workgroup} and state in ('queued', 'offered')
    order by priority desc, created_at asc, id
    limit ${limit}`;
  return rows.map((row) => ({
    id: row.id,
    reference: Number(row.reference),
    channel: row.channel,
    state: row.state,
    statePath: row.state_path,
    priority: row.priority,
    category: row.category,
    subject: row.subject,
    targetAgentId: row.target_agent_id,
    agentId: row.agent_id,
    createdAt: row.created_at.toISOString(),
    ageSeconds: seconds(row.created_at, now),
    waitingSeconds: seconds(row.queued_at ?? row.created_at, now),
  }));
}

interface AgentRow {
  id: string;
  name: string | null;
  workgroups: string[];
  status: string;
  reason: string | null;
  status_since: Date;
  message: string | null;
  load_email: number;
  load_sms: number;
  cap_email: number;
  cap_sms: number;
}

/** Agents of the given workgroups (null: every agent), by id. */
export async function listAgents(db: Db, workgroups: string[] | null, now: Date): Promise<AgentView[]> {
  const rows = await db<AgentRow[]>`
    select a.id, u.name, a.workgroups, a.status, a.reason, a.status_since, m.message, a.load_email, a.load_sms, a.cap_email, a.cap_sms
    from agents a join users u on u.id = a.id and u.role = 'agent'
    left join desk_status_messages m on m.user_id = a.id
    where ${workgroups === null ? db`true` : db`a.workgroups && ${workgroups}::text[]`}
    order by a.id`;
  return rows.map((row) => ({
    id: row.id,
    name: row.name ?? row.id,
    workgroups: row.workgroups,
    status: row.status,
    reason: row.reason,
    since: row.status_since.toISOString(),
    secondsInState: seconds(row.status_since, now),
    statusMessage: row.message,
    load: { email: row.load_email, sms: row.load_sms },
    capacity: { email: row.cap_email, sms: row.cap_sms },
  }));
}

export async function queueView(db: Db, config: Config, workgroup: string, now: Date, limit = 100): Promise<QueueView> {
  const counts = { queued: 0, offered: 0, active: 0, wrapUp: 0 };
  const rows = await db<{ state: keyof typeof counts; n: number; oldest: Date | null }[]>`
    select state, count(*)::int as n, min(coalesce(queued_at, created_at)) as oldest from interactions
    where workgroup = ${workgroup} and state in ('queued', 'offered', 'active', 'wrapUp') group by state`;
  let oldest: Date | null = null;
  for (const row of rows) {
    counts[row.state] = row.n;
    if (row.state === 'queued' && row.oldest) oldest = row.oldest;
  }
  return {
    workgroup,
    name: config.workgroups.find((w) => w.id === workgroup)?.name ?? workgroup,
    counts,
    oldestWaitingSeconds: oldest ? seconds(oldest, now) : null,
    interactions: await waitingInteractions(db, workgroup, now, limit),
    agents: await listAgents(db, [workgroup], now),
  };
}
