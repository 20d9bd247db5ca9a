/**
 * The alert timers not fired yet, kept in Postgres beside their jobs in Redis: recorded before the
 * job is queued, removed by the job when it runs. A row whose moment has long passed therefore names
 * a job Redis lost (or one the workers have not got to), which lost-desk-jobs.ts looks for.
 */
import type { Sql, TransactionSql } from 'postgres';
import { alertJobId, type AlertJobData, type AlertTimer } from './desk-queue.ts';

/** Records timers (idempotent: a dispatch that runs again records nothing more). */
export async function recordAlertTimers(sql: Sql, timers: readonly AlertTimer[]): Promise<void> {
  if (timers.length === 0) return;
  await sql`
    insert into desk_alert_timers (rule_id, interaction_id, entered_seq, fire_at, job)
    select t.rule_id, t.interaction_id, t.entered_seq, t.fire_at, t.job
    from jsonb_to_recordset(${sql.json(
      timers.map((timer) => ({
        rule_id: timer.data.ruleId,
        interaction_id: timer.data.interactionId,
        entered_seq: timer.data.enteredSeq,
        fire_at: new Date(timer.fireAt).toISOString(),
        job: timer.data,
      })) as never,
    )}) as t(rule_id text, interaction_id uuid, entered_seq int, fire_at timestamptz, job jsonb)
    on conflict do nothing`;
}

/** Removes the timer of a job that ran, in the job's own transaction. */
export async function forgetAlertTimer(tx: TransactionSql, job: AlertJobData): Promise<void> {
  await tx`delete from desk_alert_timers where rule_id = ${job.ruleId} and interaction_id = ${job.interactionId} and entered_seq = ${job.enteredSeq}`;
}

/** Timers whose moment is before `before`, the earliest first. */
export async function overdueAlertTimers(sql: Sql, before: Date, limit: number): Promise<AlertTimer[]> {
  const rows = await sql<{ job: AlertJobData; fire_at: Date }[]>`
    select job, fire_at from desk_alert_timers where fire_at < ${before} order by fire_at limit ${limit}`;
  return rows.map((row) => ({ jobId: alertJobId(row.job), fireAt: row.fire_at.getTime(), data: row.job }));
}
