/**
 * The configuration as a stored document: the validated configuration (defaults filled, durations in
 * milliseconds) with every user's token replaced by its hash, so the document can be stored, exported
 * and diffed without secrets of ours in it. Validation is the configuration file's own schema.
 */
import { createHash } from 'node:crypto';
import { generateToken, hashToken } from '../auth/tokens.ts';
import { configSchema, type Config } from '../config/schema.ts';
import { SwitchboardError } from '../errors.ts';

export type ConfigDocument = Record<string, unknown>;

export interface ConfigIssue {
  path: string;
  message: string;
}

/** The top-level keys of the configuration: every section the schema knows, present and future. */
export const CONFIG_SECTIONS: readonly string[] = Object.keys(configSchema.shape);

export function toDocument(config: Config): ConfigDocument {
  const document = JSON.parse(JSON.stringify(config)) as ConfigDocument & { users: Record<string, unknown>[] };
  document.users = document.users.map(({ token, ...user }) => ({
    ...user,
    tokenHash: typeof user.tokenHash === 'string' ? user.tokenHash : hashToken(String(token)),
  }));
  return document;
}

/** Validates a candidate document exactly as a configuration file; refuses it naming each offending path. */
export function validateDocument(candidate: unknown): { config: Config; document: ConfigDocument } {
  const result = configSchema.safeParse(candidate);
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message }));
    throw new SwitchboardError('CONFIG_INVALID', `the configuration is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  const document = toDocument(result.data);
  const seen = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  (document.users as { tokenHash: string }[]).forEach((user, index) => {
    if (seen.has(user.tokenHash)) issues.push({ path: `users.${index}.token`, message: `the same token as users.${seen.get(user.tokenHash)}` });
    seen.set(user.tokenHash, index);
  });
  if (issues.length > 0) throw new SwitchboardError('CONFIG_INVALID', `the configuration is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  return { config: result.data, document };
}

/**
 * Users of a candidate document that name neither a token nor a token hash keep the hash they have;
 * new ones get a fresh token, returned here (and never again).
 */
export function issueTokens(candidate: unknown, current: ConfigDocument | null): Record<string, string> {
  const tokens: Record<string, string> = {};
  const users = (candidate as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) return tokens;
  const known = new Map(((current?.users ?? []) as { id: string; tokenHash: string }[]).map((u) => [u.id, u.tokenHash]));
  for (const user of users as Record<string, unknown>[]) {
    if (!user || typeof user !== 'object' || user.token !== undefined || user.tokenHash !== undefined || typeof user.id !== 'string') continue;
    const hash = known.get(user.id);
    if (hash !== undefined) {
      user.tokenHash = hash;
    } else {
      const token = generateToken();
      user.token = token;
      tokens[user.id] = token;
    }
  }
  return tokens;
}

/** A stable hash of a document (keys sorted), to tell whether a start-up file changed. */
export function documentHash(document: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
    }
    return value;
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(canonical(document))).digest('hex')}`;
}

/** The key an item of a list section is addressed by: the string itself, or its id, code, number or address. */
export function itemKey(item: unknown): string | null {
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    for (const field of ['id', 'code', 'number', 'address']) {
      if (typeof record[field] === 'string') return record[field];
    }
  }
  return null;
}
