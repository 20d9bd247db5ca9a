/**
 * Aged-item alerts: raised when an alert timer fires and the interaction is still where the watch
 * began (no event since has left the watched stages), stored once per rule, interaction and watch, and
 * published on the supervisors' stream. Clearing happens in the transition that moves the item
 * (transition-observer.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { Config } from '../config/schema.ts';
import { noteWritten } from '../engine/interaction-cache.ts';
import type { OutboxEntry } from '../engine/outbox.ts';
import type { AlertJobData } from './desk-queue.ts';
import { appendSupervisorEvent } from './supervisor-stream.ts';

export interface AlertView {
  id: string;
  ruleId: string;
  interactionId: string;
  reference: number;
  watch: string;
  channel: string;
  workgroup: string | null;
  category: string | null;
  thresholdMs: number;
  enteredAt: string;
  raisedAt: string;
  clearedAt: string | null;
  clearedBy: string | null;
  clearedByActor: string | null;
}

/** Returns the alert raised, or null when the item has moved, the rule is gone, or it was raised already. */
export async function raiseAlert(tx: TransactionSql, config: Config, job: AlertJobData, now: Date, outbox: OutboxEntry[]): Promise<string | null> {
  const rule = config.alerts.find((r) => r.id === job.ruleId);
  if (!rule) return null;
  const [interaction] = await tx<{ state: string; reference: number; subject: string | null; agent_id: string | null }[]>`
    select state, reference, subject, agent_id from interactions where id = ${job.interactionId} for update`;
  if (!interaction || !job.stages.includes(interaction.state)) return null;
  const [moved] = await tx`
    select 1 from interaction_events
    where interaction_id = ${job.interactionId} and seq > ${job.enteredSeq} and not (state = any(${job.stages}::text[])) limit 1`;
  if (moved) return null;
  const id = randomUUID();
  // The interaction counts its open alerts, so that its transitions look for alerts to clear only when it has some.
  const inserted = await tx`
    with inserted as (
      insert into desk_alerts (id, rule_id, interaction_id, watch, stages, entered_seq, entered_at, threshold_ms, channel, workgroup, category, raised_at)
      values (${id}, ${job.ruleId}, ${job.interactionId}, ${job.watch}, ${job.stages}::text[], ${job.enteredSeq}, ${new Date(job.enteredAt)},
              ${job.thresholdMs}, ${job.channel}, ${job.workgroup}, ${job.category}, ${now})
      on conflict (rule_id, interaction_id, entered_seq) do nothing returning id
    ), counted as (
      update interactions set open_alerts = open_alerts + 1 where id = ${job.interactionId} and exists (select 1 from inserted)
    )
    select id from inserted`;
  if (inserted.length === 0) return null;
  // The interaction's row changed behind its machine's back: a copy of it this process keeps is stale.
  noteWritten(tx, job.interactionId, null);
  await appendSupervisorEvent(
    tx,
    'alert',
    {
      alertId: id,
      ruleId: job.ruleId,
      name: rule.name ?? null,
      watch: job.watch,
      interactionId: job.interactionId,
      reference: Number(interaction.reference),
      subject: interaction.subject,
      state: interaction.state,
      agentId: interaction.agent_id,
      channel: job.channel,
      workgroup: job.workgroup,
      category: job.category,
      thresholdMs: job.thresholdMs,
      enteredAt: new Date(job.enteredAt).toISOString(),
    },
    outbox,
  );
  return id;
}

interface AlertRow {
  id: string;
  rule_id: string;
  interaction_id: string;
  reference: number;
  watch: string;
  channel: string;
  workgroup: string | null;
  category: string | null;
  threshold_ms: number;
  entered_at: Date;
  raised_at: Date;
  cleared_at: Date | null;
  cleared_by: string | null;
  cleared_by_actor: string | null;
}

export async function listAlerts(sql: Sql, scope: string[] | null, status: 'open' | 'cleared' | 'all', limit: number): Promise<AlertView[]> {
  const rows = await sql<AlertRow[]>`
    select a.*, i.reference from desk_alerts a join interactions i on i.id = a.interaction_id
    where ${status === 'open' ? sql`a.cleared_at is null` : status === 'cleared' ? sql`a.cleared_at is not null` : sql`true`}
      and ${scope === null ? sql`true` : sql`a.workgroup = any(${scope}::text[])`}
    order by a.raised_at desc, a.id
    limit ${limit}`;
  return rows.map((row) => ({
    id: row.id,
    ruleId: row.rule_id,
    interactionId: row.interaction_id,
    reference: Number(row.reference),
    watch: row.watch,
    channel: row.channel,
    workgroup: row.workgroup,
    category: row.category,
    thresholdMs: row.threshold_ms,
    enteredAt: row.entered_at.toISOString(),
    raisedAt: row.raised_at.toISOString(),
    clearedAt: row.cleared_at?.toISOString() ?? null,
    clearedBy: row.cleared_by,
    clearedByActor: row.cleared_by_actor,
  }));
}
