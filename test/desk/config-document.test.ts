/**
 * The stored configuration document: what a configuration file validates to, with tokens replaced by
 * their hashes, validates again to itself (so it can be stored, exported, re-imported and diffed);
 * diffs name the item that changed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { diffDocuments } from '../../src/admin/config-diff.ts';
import { documentHash, issueTokens, toDocument, validateDocument } from '../../src/admin/config-document.ts';
import { hashToken } from '../../src/auth/tokens.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { SwitchboardError } from '../../src/errors.ts';
import { fillPlaceholders, unknownPlaceholders } from '../../src/desk/placeholders.ts';
import { deskConfig, TOKENS } from '../support/desk.ts';

function withSms(): ConfigInput {
  return deskConfig({
    smsProviders: [{ id: 'twilio-main', type: 'twilio', accountSid: `AC${'0'.repeat(32)}`, authToken: 'secret-token', webhookBaseUrl: 'https://sb.example.com/' }],
    smsNumbers: [{ number: '+1 (415) 555-0100', kind: 'long', provider: 'twilio-main', category: 'orders', acknowledgement: 'Thanks (ref {reference}).' }],
  });
}

function demo(): ConfigInput {
  const document = parseYaml(readFileSync(new URL('../../config/demo.yaml', import.meta.url), 'utf8')) as ConfigInput;
  for (const user of document.users ?? []) user.token = `${user.id}-demo-token-0123456789`;
  return document;
}

describe('the stored configuration document', () => {
  it.each([
    ['the desk test configuration', deskConfig],
    ['a configuration with SMS numbers', withSms],
    ['the demo configuration', demo],
  ])('is a fixpoint of validation for %s, and holds token hashes only', (_name, input) => {
    const document = toDocument(parseConfig(input()));
    expect(validateDocument(document).document).toEqual(document);
    expect(documentHash(validateDocument(structuredClone(document)).document)).toBe(documentHash(document));
    const users = document.users as { token?: string; tokenHash: string }[];
    expect(users.every((u) => u.token === undefined && /^sha256:[0-9a-f]{64}$/.test(u.tokenHash))).toBe(true);
  });

  it('names every offending path, including users sharing a token', () => {
    const document = toDocument(parseConfig(deskConfig()));
    const users = document.users as Record<string, unknown>[];
    users.push({ ...users[0], id: 'copy' });
    try {
      validateDocument(document);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SwitchboardError);
      expect((error as SwitchboardError).details).toEqual([{ path: `users.${users.length - 1}.token`, message: 'the same token as users.0' }]);
    }
  });

  it('keeps the hash of users named without a token and issues tokens to new ones', () => {
    const current = toDocument(parseConfig(deskConfig()));
    const candidate = { ...current, users: [{ id: 'alice', name: 'Alice', role: 'agent' }, { id: 'new', name: 'New', role: 'agent' }] };
    const tokens = issueTokens(candidate, current);
    expect(Object.keys(tokens)).toEqual(['new']);
    expect(candidate.users[0]).toMatchObject({ tokenHash: hashToken(TOKENS.alice) });
    expect(candidate.users[1]).toMatchObject({ token: tokens.new });
  });

  it('diffs item by item', () => {
    const before = toDocument(parseConfig(deskConfig()));
    const after = structuredClone(before) as typeof before & { categories: { id: string; priority: number }[]; workgroups: unknown[] };
    after.categories[1]!.priority = 9;
    after.workgroups.push({ id: 'vip', name: 'VIP' });
    expect(diffDocuments(before, after)).toEqual([
      { path: 'workgroups[vip]', before: null, after: { id: 'vip', name: 'VIP' } },
      { path: 'categories[orders].priority', before: 5, after: 9 },
    ]);
  });
});

describe('placeholders', () => {
  it('fills known placeholders, with fallbacks for unknown values, and reports unknown names', () => {
    const text = 'Dear {{ customer.name | customer }}, ref {{reference}} from {{agent.name}}. {{customer.shoe}}';
    expect(fillPlaceholders(text, { 'customer.name': null, reference: 42, 'agent.name': 'Alice' })).toBe('Dear customer, ref 42 from Alice. {{customer.shoe}}');
    expect(fillPlaceholders(text, { 'customer.name': 'Maria' })).toMatch(/^Dear Maria, ref {2}from \./);
    expect(unknownPlaceholders(text)).toEqual(['customer.shoe']);
  });
});
