import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { configSchema, type Config } from './schema.ts';

/** Formats zod issues as `path.to.key: message` lines. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/** Validates a configuration document; throws ConfigError naming every offending key. */
export function parseConfig(document: unknown, source = 'configuration'): Config {
  const result = configSchema.safeParse(document);
  if (!result.success) {
    const details = describeIssues(result.error.issues);
    throw new ConfigError(`${source} is invalid:\n  ${details.join('\n  ')}`, details);
  }
  return result.data;
}

/** Parses YAML or JSON text (JSON is YAML). */
export function parseConfigText(text: string, source: string): Config {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML or JSON: ${(error as Error).message}`, []);
  }
  return parseConfig(document, source);
}

export async function loadConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(error as Error).message}`, []);
  }
  return parseConfigText(text, path);
}
