/**
 * Live administration over HTTP: an admin changes a screening rule and the next interaction is
 * categorized by it with no restart, in this process and in another one; the audit log shows who
 * changed what, before and after. Users get tokens once, stored only as hashes. Bad input (invalid
 * regular expressions, unknown references, duplicate ids) is refused with the path of the offending
 * value and nothing applied. The configuration moves as a file with `config export` and `config import`;
 * the start-up file seeds the stored configuration and is imported again when it changes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import type { Switchboard } from '../../src/switchboard.ts';
import { deskConfig, TOKENS } from '../support/desk.ts';
import { client } from '../support/http-client.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
let other: Switchboard;

beforeAll(async () => {
  sb = await startTestSwitchboard(deskConfig());
  // A second process that hears of changes only through Redis (its own poll is an hour away).
  other = await sb.another({ configPollMs: 3_600_000 });
});
afterAll(async () => {
  await sb?.stop();
});

type Change = { path: string; before: unknown; after: unknown };
type AuditEntry = { id: number; actor: string; action: string; versionFrom: number | null; versionTo: number; changes: Change[] };
type Stored = { version: number; processVersion: number; document: Record<string, unknown> & { users: Record<string, unknown>[] } };

const admin = () => client(sb.url, TOKENS.admin);
const stored = async () => (await admin().get<Stored>('/api/admin/config')).body;
const audit = async () => (await admin().get<{ entries: AuditEntry[] }>('/api/admin/audit')).body.entries;
const intake = (url: string, subject: string) =>
  client(url, TOKENS.admin).post<{ id: string; category: string }>('/api/interactions', { channel: 'email', from: 'c@example.com', to: 's@example.com', subject, body: 'Hello' });

describe('live administration', () => {
  it('categorizes the next interaction by a changed screening rule, in every process, and audits the change', async () => {
    const before = await stored();
    expect(before.version).toBe(1);
    expect((await intake(sb.url, 'My warranty claim')).body.category).toBe('general');

    const billing = await admin().get<{ item: { id: string; rules: string[] } }>('/api/admin/config/categories/billing');
    expect(billing.body.item.rules).toEqual(['invoice', 'refund', 'charged']);
    const changed = await admin().put<{ version: number; changed: boolean; changes: Change[] }>('/api/admin/config/categories/billing', {
      ...billing.body.item,
      rules: ['invoice', 'refund', 'charged', '\\bwarranty\\b'],
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ version: 2, changed: true });

    // This process: at once.
    expect((await intake(sb.url, 'My warranty claim')).body.category).toBe('billing');
    // The other process: as soon as it hears of it, with no restart.
    await expect.poll(() => other.engine.config.version(), { timeout: 10_000 }).toBe(2);
    expect((await intake(other.url ?? '', 'Another warranty question')).body.category).toBe('billing');

    const [entry] = await audit();
    expect(entry).toMatchObject({ actor: 'user:admin', action: 'replace categories[billing]', versionFrom: 1, versionTo: 2 });
    expect(entry?.changes).toEqual([
      { path: 'categories[billing].rules', before: ['invoice', 'refund', 'charged'], after: ['invoice', 'refund', 'charged', '\\bwarranty\\b'] },
    ]);
    // The same change again changes nothing and is not audited again.
    const same = await admin().put<{ version: number; changed: boolean }>('/api/admin/config/categories/billing', {
      ...billing.body.item,
      rules: ['invoice', 'refund', 'charged', '\\bwarranty\\b'],
    });
    expect(same.body).toMatchObject({ version: 2, changed: false });
    expect(await audit()).toHaveLength(2); // the start-up file, and the change
  });

  it('refuses bad input with the path of the offending value and applies nothing', async () => {
    const before = await stored();
    const entries = (await audit()).length;
    const billing = (await admin().get<{ item: Record<string, unknown> }>('/api/admin/config/categories/billing')).body.item;

    const regex = await admin().put('/api/admin/config/categories/billing', { ...billing, rules: ['ok', '(unclosed'] });
    expect(regex.status).toBe(400);
    expect(regex.body).toMatchObject({ error: { code: 'CONFIG_INVALID', details: [{ path: 'categories.0.rules.1', message: expect.stringMatching(/invalid regular expression/) }] } });

    const missing = await admin().post('/api/admin/config/categories', { id: 'vip', workgroup: 'ghosts', rules: ['vip'] });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { code: 'CONFIG_INVALID', details: [{ path: 'categories.4.workgroup', message: 'unknown workgroup "ghosts"' }] } });

    const duplicate = await admin().post('/api/admin/config/workgroups', { id: 'support', name: 'Support again' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toMatchObject({ error: { code: 'CONFIG_INVALID', details: [{ path: 'workgroups.2.id', message: 'duplicate id "support"' }] } });

    const whole = structuredClone(before.document);
    whole.users.push({ ...whole.users[0], tokenHash: undefined, token: 'yet-another-token-0123456789' });
    const users = await admin().put('/api/admin/config', whole);
    expect(users.body).toMatchObject({ error: { code: 'CONFIG_INVALID', details: [{ path: `users.${whole.users.length - 1}.id` }] } });

    const reference = await admin().put('/api/admin/config/review', { agents: ['nobody'] });
    expect(reference.body).toMatchObject({ error: { code: 'CONFIG_INVALID', details: [{ path: 'review.agents.0', message: 'unknown agent "nobody"' }] } });
    const placeholder = await admin().post('/api/admin/config/responses', { id: 'bad', title: 'Bad', body: 'Hi {{customer.shoe_size}}' });
    expect(placeholder.body).toMatchObject({ error: { code: 'CONFIG_INVALID', details: [{ path: 'responses.6.body' }] } });

    const lockout = await admin().raw('DELETE', '/api/admin/config/users/admin');
    expect(lockout.body).toMatchObject({ error: { code: 'CONFIG_INVALID', details: [{ path: 'users', message: 'at least one admin must remain' }] } });
    expect((await admin().get('/api/admin/config/nonsense')).body).toMatchObject({ error: { code: 'UNKNOWN_CONFIG_SECTION' } });
    expect((await admin().put('/api/admin/config/categories/nope', billing)).body).toMatchObject({ error: { code: 'CONFIG_ITEM_NOT_FOUND' } });
    const stale = await admin().put(`/api/admin/config/categories/billing?version=${before.version - 1}`, billing);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: { code: 'CONFIG_VERSION_CONFLICT' } });

    const after = await stored();
    expect(after.version).toBe(before.version);
    expect(after.document).toEqual(before.document);
    expect(await audit()).toHaveLength(entries);
    expect(sb.engine.config.version()).toBe(before.version);
  });

  it('issues a token once for a new user, stores only its hash, and rotates it', async () => {
    const created = await admin().post<{ version: number; tokens: Record<string, string>; item: Record<string, unknown> }>('/api/admin/config/users', {
      id: 'dana',
      name: 'Dana',
      role: 'agent',
      workgroups: ['support'],
    });
    expect(created.status).toBe(201);
    const token = created.body.tokens.dana ?? '';
    expect(token).toMatch(/^sb_/);
    expect(created.body.item).toMatchObject({ id: 'dana', tokenHash: expect.stringMatching(/^sha256:/) });
    expect(created.body.item.token).toBeUndefined();
    expect((await client(sb.url, token).get('/api/me')).body).toMatchObject({ id: 'dana', role: 'agent' });
    await expect.poll(async () => (await client(other.url ?? '', token).get('/api/me')).status, { timeout: 10_000 }).toBe(200);
    expect(JSON.stringify((await stored()).document)).not.toContain(token);
    expect(JSON.stringify(await audit())).not.toContain(token);

    // Editing the user keeps the token; a new one replaces it.
    const renamed = await admin().put('/api/admin/config/users/dana', { id: 'dana', name: 'Dana D.', role: 'agent', workgroups: ['support'] });
    expect(renamed.status).toBe(200);
    expect((await client(sb.url, token).get('/api/me')).body).toMatchObject({ name: 'Dana D.' });
    const rotated = await admin().post<{ token: string }>('/api/admin/users/dana/token');
    expect(rotated.status).toBe(201);
    expect((await client(sb.url, token).get('/api/me')).status).toBe(401);
    expect((await client(sb.url, rotated.body.token).get('/api/me')).status).toBe(200);
    // Removed: no access, and not routed to.
    expect((await admin().raw('DELETE', '/api/admin/config/users/dana')).status).toBe(200);
    expect((await client(sb.url, rotated.body.token).get('/api/me')).status).toBe(401);
    const [agent] = await sb.database.sql<{ workgroups: string[]; status: string }[]>`select workgroups, status from agents where id = 'dana'`;
    expect(agent).toMatchObject({ workgroups: [], status: 'logged_out' });
  });

  it('exports the configuration in force and imports a file, audited, into every process', async () => {
    const env = { ...process.env, DATABASE_URL: sb.db.url, USER: 'ops' };
    const exported = spawnSync(process.execPath, ['bin/switchboard.mjs', 'config', 'export'], { encoding: 'utf8', env });
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^# Switchboard configuration, version \d+/);
    const document = parseYaml(exported.stdout) as { users: Record<string, unknown>[]; workgroups: unknown[] };
    expect(document).toEqual((await stored()).document);
    expect(document.users.every((u) => typeof u.tokenHash === 'string' && u.token === undefined)).toBe(true);
    expect(exported.stdout).not.toContain(TOKENS.alice);

    const dir = mkdtempSync(join(tmpdir(), 'switchboard-import-'));
    const file = join(dir, 'switchboard.yaml');
    document.workgroups.push({ id: 'vip', name: 'VIP' });
    writeFileSync(file, toYaml(document));
    const version = (await stored()).version;
    const imported = spawnSync(process.execPath, ['bin/switchboard.mjs', 'config', 'import', file], { encoding: 'utf8', env });
    expect(imported.status, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ valid: true, version: version + 1, changed: true, changes: 1 });
    const [entry] = await audit();
    expect(entry).toMatchObject({ actor: 'cli:ops', action: 'import switchboard.yaml', changes: [{ path: 'workgroups[vip]', before: null, after: { id: 'vip', name: 'VIP' } }] });
    for (const each of [sb, other]) {
      await expect.poll(() => each.engine.config.current().workgroups.map((w) => w.id), { timeout: 10_000 }).toContain('vip');
    }

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...document, categories: [{ id: 'x', workgroup: 'nowhere', rules: ['[a-'] }] }));
    const refused = spawnSync(process.execPath, ['bin/switchboard.mjs', 'config', 'import', bad], { encoding: 'utf8', env });
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ valid: false });
    expect((await stored()).version).toBe(version + 1);
  });

  it('starts new processes with the stored configuration, and imports the start-up file again when it changed', async () => {
    const third = await sb.another();
    expect(third.engine.config.current().workgroups.map((w) => w.id)).toContain('vip');
    expect(third.engine.config.current().categories.find((c) => c.id === 'billing')?.rules).toContain('\\bwarranty\\b');
    const version = (await stored()).version;

    const edited = deskConfig();
    edited.notReadyReasons = ['Lunch', 'Coaching'];
    const fourth = await sb.another({ config: parseConfig(edited) });
    const now = await stored();
    expect(now.version).toBe(version + 1);
    expect(fourth.engine.config.current().notReadyReasons).toEqual(['Lunch', 'Coaching']);
    // The file's content wins: the changes made since are gone, and the audit log says so.
    expect(fourth.engine.config.current().workgroups.map((w) => w.id)).not.toContain('vip');
    const [entry] = await audit();
    expect(entry).toMatchObject({ actor: 'file', action: 'start-up file', versionTo: version + 1 });
    await expect.poll(() => sb.engine.config.current().notReadyReasons, { timeout: 10_000 }).toEqual(['Lunch', 'Coaching']);
  });
});
