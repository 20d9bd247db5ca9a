/**
 * `switchboard config check <file>`: validates a configuration file without applying it.
 * `switchboard config export`: prints the configuration in force (YAML; users' tokens as hashes).
 * `switchboard config import <file>`: validates a file and makes it the configuration in force, audited,
 * in every running process. Export and import need DATABASE_URL.
 */
import { basename } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { applyConfigChange } from '../../admin/apply-config.ts';
import { toDocument } from '../../admin/config-document.ts';
import { readActiveConfig } from '../../admin/config-versions.ts';
import { ConfigStore } from '../../config/config-store.ts';
import { loadConfigFile } from '../../config/load-config.ts';
import type { Config } from '../../config/schema.ts';
import { connectDatabase, migrateDatabase } from '../../db/client.ts';
import { Engine } from '../../engine/engine.ts';
import { ConfigError, SwitchboardError } from '../../errors.ts';
import { readEnvironment } from '../environment.ts';

const USAGE = 'usage: switchboard config check <file> | config export | config import <file>\n';

/** Loads and validates a file; prints why not and returns null when it is invalid. */
async function load(file: string): Promise<Config | null> {
  try {
    return await loadConfigFile(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stdout.write(`${JSON.stringify({ file, valid: false, errors: error.details.length ? error.details : [error.message] })}\n`);
    return null;
  }
}

async function check(file: string | undefined): Promise<number> {
  if (!file) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = await load(file);
  if (!config) return 1;
  process.stdout.write(
    `${JSON.stringify({ file, valid: true, users: config.users.length, workgroups: config.workgroups.length, categories: config.categories.length })}\n`,
  );
  return 0;
}

function databaseUrl(command: string): string | null {
  const url = readEnvironment().DATABASE_URL;
  if (!url) process.stderr.write(`switchboard config ${command} needs DATABASE_URL (the Postgres of the deployment)\n`);
  return url ?? null;
}

async function exportConfig(): Promise<number> {
  const url = databaseUrl('export');
  if (!url) return 2;
  const database = connectDatabase(url, { max: 1 });
  try {
    await migrateDatabase(database);
    const stored = await readActiveConfig(database.sql);
    if (!stored) {
      process.stderr.write('no configuration is stored yet; start Switchboard with one, or use `switchboard config import <file>`\n');
      return 1;
    }
    const header = `# Switchboard configuration, version ${stored.version} (${stored.source}, by ${stored.actor}, ${stored.createdAt.toISOString()})\n`;
    process.stdout.write(header + toYaml(stored.document, { lineWidth: 0 }));
    return 0;
  } finally {
    await database.close();
  }
}

async function importConfig(file: string | undefined): Promise<number> {
  if (!file) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = await load(file);
  if (!config) return 1;
  const url = databaseUrl('import');
  if (!url) return 2;
  const database = connectDatabase(url, { max: 2 });
  try {
    await migrateDatabase(database);
    const engine = new Engine({ database, config: new ConfigStore(config) });
    const applied = await applyConfigChange(engine, {
      actor: `cli:${process.env.USER ?? 'unknown'}`,
      action: `import ${basename(file)}`,
      source: 'import',
      mutate: () => toDocument(config),
    });
    process.stdout.write(`${JSON.stringify({ file, valid: true, version: applied.version, changed: applied.changed, changes: applied.changes.length })}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof SwitchboardError) || error.code !== 'CONFIG_INVALID') throw error;
    process.stdout.write(`${JSON.stringify({ file, valid: false, errors: error.details })}\n`);
    return 1;
  } finally {
    await database.close();
  }
}

export async function run(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'check':
      return check(rest[0]);
    case 'export':
      return exportConfig();
    case 'import':
      return importConfig(rest[0]);
    default:
      process.stderr.write(USAGE);
      return 2;
  }
}
