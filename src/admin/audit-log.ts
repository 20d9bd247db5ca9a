/** The configuration audit log: who changed what, when, from which version to which, with before and after. */
import type { Sql } from 'postgres';
import type { ConfigChangeEntry } from './config-diff.ts';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  versionFrom: number | null;
  versionTo: number;
  changes: ConfigChangeEntry[];
}

export async function readAuditLog(sql: Sql, options: { limit: number; before?: number | undefined }): Promise<AuditEntry[]> {
  const rows = await sql<{ id: string; at: Date; actor: string; action: string; version_from: number | null; version_to: number; changes: ConfigChangeEntry[] }[]>`
    select id::text, at, actor, action, version_from, version_to, changes from config_audit
    where ${options.before === undefined ? sql`true` : sql`id < ${options.before}`}
    order by id desc limit ${options.limit}`;
  return rows.map((row) => ({
    id: Number(row.id),
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    versionFrom: row.version_from,
    versionTo: row.version_to,
    changes: row.changes,
  }));
}
