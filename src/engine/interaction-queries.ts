/** Read models of interactions for the API: the record, its messages, its history. */
import type { Sql } from 'postgres';
import { SwitchboardError } from '../errors.ts';

export interface InteractionView {
  id: string;
  reference: number;
  state: string;
  statePath: string;
  channel: string;
  category: string | null;
  workgroup: string | null;
  priority: number;
  skills: string[];
  agentId: string | null;
  lastAgentId: string | null;
  targetAgentId: string | null;
  disposition: string | null;
  discardReason: string | null;
  from: string;
  to: string;
  subject: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  queuedAt: string | null;
  closedAt: string | null;
}

export interface MessageView {
  id: string;
  direction: 'in' | 'out';
  from: string;
  to: string;
  subject: string | null;
  body: string;
  authorId: string | null;
  status: string;
  createdAt: string;
}

export interface HistoryEntry {
  seq: number;
  type: string;
  at: string;
  state: string;
  statePath: string;
  actor: string;
  workgroup: string | null;
  agentId: string | null;
  priority: number;
  event: Record<string, unknown>;
}

interface Row {
  id: string;
  reference: number;
  state: string;
  state_path: string;
  channel: string;
  category: string | null;
  workgroup: string | null;
  priority: number;
  skills: string[];
  agent_id: string | null;
  last_agent_id: string | null;
  target_agent_id: string | null;
  disposition: string | null;
  discard_reason: string | null;
  from_address: string;
  to_address: string;
  subject: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  queued_at: Date | null;
  closed_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertInteractionId(id: string): void {
  if (!UUID.test(id)) throw new SwitchboardError('INTERACTION_NOT_FOUND', `interaction ${id} not found`);
}

export async function findInteraction(sql: Sql, id: string): Promise<InteractionView> {
  assertInteractionId(id);
  const [row] = await sql<Row[]>`
    select id, reference, state, state_path, channel, category, workgroup, priority, skills, agent_id, last_agent_id,
           target_agent_id, disposition, discard_reason, from_address, to_address, subject, version,
           created_at, updated_at, queued_at, closed_at
    from interactions where id = ${id}`;
  if (!row) throw new SwitchboardError('INTERACTION_NOT_FOUND', `interaction ${id} not found`);
  return {
    id: row.id,
    reference: Number(row.reference),
    state: row.state,
    statePath: row.state_path,
    channel: row.channel,
    category: row.category,
    workgroup: row.workgroup,
    priority: row.priority,
    skills: row.skills,
    agentId: row.agent_id,
    lastAgentId: row.last_agent_id,
    targetAgentId: row.target_agent_id,
    disposition: row.disposition,
    discardReason: row.discard_reason,
    from: row.from_address,
    to: row.to_address,
    subject: row.subject,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    queuedAt: row.queued_at?.toISOString() ?? null,
    closedAt: row.closed_at?.toISOString() ?? null,
  };
}

export async function listMessages(sql: Sql, interactionId: string): Promise<MessageView[]> {
  const rows = await sql<
    { id: string; direction: 'in' | 'out'; from_address: string; to_address: string; subject: string | null; body: string; author_id: string | null; status: string; created_at: Date }[]
  >`select id, direction, from_address, to_address, subject, body, author_id, status, created_at
    from messages where interaction_id = ${interactionId} order by created_at, id`;
  return rows.map((row) => ({
    id: row.id,
    direction: row.direction,
    from: row.from_address,
    to: row.to_address,
    subject: row.subject,
    body: row.body,
    authorId: row.author_id,
    status: row.status,
    createdAt: row.created_at.toISOString(),
  }));
}

export async function readHistory(sql: Sql, interactionId: string): Promise<HistoryEntry[]> {
  const rows = await sql<
    { seq: number; type: string; at: Date; state: string; state_path: string; actor: string; workgroup: string | null; agent_id: string | null; priority: number; event: Record<string, unknown> }[]
  >`select seq, type, at, state, state_path, actor, workgroup, agent_id, priority, event
    from interaction_events where interaction_id = ${interactionId} order by seq`;
  return rows.map((row) => ({
    seq: row.seq,
    type: row.type,
    at: row.at.toISOString(),
    state: row.state,
    statePath: row.state_path,
    actor: row.actor,
    workgroup: row.workgroup,
    agentId: row.agent_id,
    priority: row.priority,
    event: row.event,
  }));
}
