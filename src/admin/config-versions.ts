/** The stored configuration documents: every version, the highest in force. */
import type { Sql, TransactionSql } from 'postgres';
import type { ConfigDocument } from './config-document.ts';

/** Serializes every change of the configuration (API, import, start-up file) across processes. */
export const CONFIG_LOCK = 727276;

export interface StoredConfig {
  version: number;
  document: ConfigDocument;
  source: string;
  actor: string;
  createdAt: Date;
}

export async function readActiveConfig(db: Sql | TransactionSql): Promise<StoredConfig | null> {
  const [row] = await db<{ version: number; document: ConfigDocument; source: string; actor: string; created_at: Date }[]>`
    select version, document, source, actor, created_at from config_versions order by version desc limit 1`;
  return row ? { version: row.version, document: row.document, source: row.source, actor: row.actor, createdAt: row.created_at } : null;
}

export async function activeVersion(db: Sql | TransactionSql): Promise<number> {
  const [row] = await db<{ version: number | null }[]>`select max(version) as version from config_versions`;
  return row?.version ?? 0;
}

/** The hash of the start-up file that was last imported, if any. */
export async function lastFileHash(tx: TransactionSql): Promise<string | null> {
  const [row] = await tx<{ file_hash: string | null }[]>`
    select file_hash from config_versions where source = 'file' order by version desc limit 1`;
  return row?.file_hash ?? null;
}
