/**
 * Which configuration a process starts with. The document stored in Postgres is the configuration in
 * force; the start-up file (SWITCHBOARD_CONFIG) seeds it:
 * - an empty database takes the file as version 1;
 * - a file whose content differs from the file last imported is imported again, as a new version
 *   (audited like any change): editing the file and restarting applies it, over changes made since;
 * - otherwise the stored document is used, with every change made through the API or
 *   `switchboard config import` since.
 * Processes started with the same file therefore all run the stored document.
 */
import type { Config } from '../config/schema.ts';
import { keyOf, type Engine } from '../engine/engine.ts';
import { applyConfigInTransaction } from './apply-in-transaction.ts';
import { applyConfigChange } from './apply-config.ts';
import { documentHash, toDocument, validateDocument } from './config-document.ts';
import { CONFIG_LOCK, lastFileHash, readActiveConfig } from './config-versions.ts';
import { ConfigError } from '../errors.ts';
import { SwitchboardError } from '../errors.ts';

export interface StartupConfig {
  version: number;
  config: Config;
  /** Whether the start-up file was imported now. */
  imported: boolean;
}

export async function activateStartupConfig(engine: Engine, file: Config): Promise<StartupConfig> {
  const fileDocument = toDocument(file);
  const fileHash = documentHash(fileDocument);
  const stored = await engine.transaction(async (tx, outbox, now) => {
    await tx`select pg_advisory_xact_lock(${CONFIG_LOCK})`;
    const current = await readActiveConfig(tx);
    if (!current || (await lastFileHash(tx)) !== fileHash) return null;
    let config: Config;
    try {
      config = validateDocument(current.document).config;
    } catch (error) {
      if (!(error instanceof SwitchboardError)) throw error;
      const details = (error.details as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
      throw new ConfigError(`the stored configuration (version ${current.version}) is invalid:\n  ${details.join('\n  ')}`, details);
    }
    await applyConfigInTransaction(tx, config, now, outbox);
    return { version: current.version, config, imported: false };
  }, [keyOf.config()]);
  if (stored) return stored;
  const applied = await applyConfigChange(engine, {
    actor: 'file',
    action: 'start-up file',
    source: 'file',
    fileHash,
    always: true,
    mutate: () => fileDocument,
  });
  return { version: applied.version, config: applied.config, imported: true };
}
