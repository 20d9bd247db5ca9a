/**
 * Changes the configuration in force: one transaction takes the configuration lock, reads the
 * document in force, applies the change to it, validates the result exactly as a configuration file
 * (nothing is applied when it is invalid), stores it as the next version with an audit entry (who,
 * what, before and after), brings users, agents and responses in line, and tells every process
 * through the outbox. This process uses the new configuration as soon as the transaction commits;
 * the others as soon as they hear of it.
 */
import type { Config } from '../config/schema.ts';
import { keyOf, type Engine } from '../engine/engine.ts';
import { SwitchboardError } from '../errors.ts';
import { applyConfigInTransaction } from './apply-in-transaction.ts';
import { diffDocuments, type ConfigChangeEntry } from './config-diff.ts';
import { issueTokens, validateDocument, type ConfigDocument } from './config-document.ts';
import { CONFIG_LOCK, readActiveConfig } from './config-versions.ts';

export type ConfigSource = 'api' | 'import' | 'file';

export interface ConfigChange {
  /** Who: `user:<id>`, `cli`, `file`. */
  actor: string;
  /** What kind of change, for the audit log (e.g. `replace`, `put categories/billing`, `import`). */
  action: string;
  source: ConfigSource;
  /** Refuse the change when the version in force is another one. */
  expectedVersion?: number | undefined;
  fileHash?: string | null;
  /** Returns the next document from (a copy of) the one in force; null when none is stored yet. */
  mutate: (document: ConfigDocument | null) => unknown;
  /** Store a version even when nothing changed (a start-up file seen for the first time). */
  always?: boolean;
}

export interface AppliedChange {
  version: number;
  changed: boolean;
  changes: ConfigChangeEntry[];
  /** Tokens issued to new users, shown this once. */
  tokens: Record<string, string>;
  config: Config;
  document: ConfigDocument;
}

export async function applyConfigChange(engine: Engine, change: ConfigChange): Promise<AppliedChange> {
  const applied = await engine.transaction(async (tx, outbox, now): Promise<AppliedChange> => {
    await tx`select pg_advisory_xact_lock(${CONFIG_LOCK})`;
    const current = await readActiveConfig(tx);
    const currentVersion = current?.version ?? 0;
    if (change.expectedVersion !== undefined && change.expectedVersion !== currentVersion) {
      throw new SwitchboardError('CONFIG_VERSION_CONFLICT', `the configuration is at version ${currentVersion}, not ${change.expectedVersion}`, {
        version: currentVersion,
      });
    }
    const candidate = change.mutate(current ? (structuredClone(current.document) as ConfigDocument) : null);
    const tokens = issueTokens(candidate, current?.document ?? null);
    const { config, document } = validateDocument(candidate);
    // Through the API, nobody may lock every admin out (a file or an import can still do anything).
    if (change.source === 'api' && !config.users.some((user) => user.role === 'admin')) {
      throw new SwitchboardError('CONFIG_INVALID', 'the configuration would leave no admin', [{ path: 'users', message: 'at least one admin must remain' }]);
    }
    const changes = diffDocuments(current?.document ?? null, document);
    if (current && changes.length === 0 && !change.always) {
      return { version: currentVersion, changed: false, changes, tokens: {}, config, document: current.document };
    }
    const version = currentVersion + 1;
    await tx`
      insert into config_versions (version, document, source, file_hash, actor, created_at)
      values (${version}, ${tx.json(document as never)}, ${change.source}, ${change.fileHash ?? null}, ${change.actor}, ${now})`;
    await tx`
      insert into config_audit (at, actor, action, version_from, version_to, changes)
      values (${now}, ${change.actor}, ${change.action}, ${current ? currentVersion : null}, ${version}, ${tx.json(changes as never)})`;
    await applyConfigInTransaction(tx, config, now, outbox);
    outbox.push({ kind: 'config.changed', payload: { version } });
    return { version, changed: true, changes, tokens, config, document };
  }, [keyOf.config()]);
  if (applied.changed && applied.version > engine.config.version()) engine.config.replace(applied.config, applied.version);
  return applied;
}
