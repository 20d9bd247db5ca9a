/**
 * Live administration of everything the configuration holds, section by section or as a whole: each
 * change is applied to the document in force, validated exactly as the configuration file (400
 * CONFIG_INVALID naming the path of each offending value; nothing applied), stored as a new version
 * with an audit entry, and applied to every process without a restart. Sections are the schema's
 * top-level keys, so sections added to the schema are covered as they come. List items are addressed
 * by their id (or code, number, address; a plain string by itself). `?version=` refuses a change when
 * another one came first.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { applyConfigChange, type AppliedChange } from '../../admin/apply-config.ts';
import { CONFIG_SECTIONS, itemKey, type ConfigDocument } from '../../admin/config-document.ts';
import { readActiveConfig } from '../../admin/config-versions.ts';
import { generateToken } from '../../auth/tokens.ts';
import { SwitchboardError } from '../../errors.ts';
import type { Caller } from '../auth.ts';
import type { HttpContext } from '../context.ts';
import { schemaOf } from '../validation.ts';

const admins = { roles: ['admin'] as const };
const versionQuery = z.object({ version: z.coerce.number().int().min(0).optional() }).strict();
const sectionParams = z.object({ section: z.string() });
const itemParams = z.object({ section: z.string(), key: z.string() });
const userParams = z.object({ id: z.string() });
const anyBody = z.unknown();

type Query = z.infer<typeof versionQuery>;

function assertSection(section: string): void {
  if (!CONFIG_SECTIONS.includes(section)) {
    throw new SwitchboardError('UNKNOWN_CONFIG_SECTION', `no configuration section "${section}"; sections: ${CONFIG_SECTIONS.join(', ')}`);
  }
}

function listOf(document: ConfigDocument | null, section: string): unknown[] {
  const value = document?.[section];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SwitchboardError('VALIDATION_FAILED', `section "${section}" is not a list; replace it with PUT /api/admin/config/${section}`);
  return value;
}

function indexOf(list: unknown[], section: string, key: string): number {
  const index = list.findIndex((item) => itemKey(item) === key);
  if (index < 0) throw new SwitchboardError('CONFIG_ITEM_NOT_FOUND', `no item "${key}" in ${section}`);
  return index;
}

const summary = (applied: AppliedChange) => ({
  version: applied.version,
  changed: applied.changed,
  changes: applied.changes,
  ...(Object.keys(applied.tokens).length > 0 ? { tokens: applied.tokens } : {}),
});

export function adminConfigRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine, database } = context;
  const change = (caller: Caller, action: string, query: Query, mutate: (document: ConfigDocument | null) => unknown) =>
    applyConfigChange(engine, { actor: `user:${caller.id}`, action, source: 'api', expectedVersion: query.version, mutate });
  const active = async () => {
    const stored = await readActiveConfig(database.sql);
    if (!stored) throw new SwitchboardError('NOT_FOUND', 'no configuration is stored');
    return stored;
  };

  app.get('/api/admin/config', { config: admins, schema: { tags: ['admin'] } }, async () => {
    const stored = await active();
    return { version: stored.version, processVersion: engine.config.version(), sections: CONFIG_SECTIONS, document: stored.document };
  });

  app.put<{ Querystring: Query; Body: unknown }>(
    '/api/admin/config',
    { config: admins, schema: { tags: ['admin'], querystring: schemaOf(versionQuery), body: schemaOf(anyBody) } },
    async (request) => summary(await change(request.caller, 'replace configuration', request.query, () => request.body)),
  );

  app.get<{ Params: { section: string } }>(
    '/api/admin/config/:section',
    { config: admins, schema: { tags: ['admin'], params: schemaOf(sectionParams) } },
    async (request) => {
      assertSection(request.params.section);
      const stored = await active();
      return { version: stored.version, section: request.params.section, value: stored.document[request.params.section] ?? null };
    },
  );

  app.put<{ Params: { section: string }; Querystring: Query; Body: unknown }>(
    '/api/admin/config/:section',
    { config: admins, schema: { tags: ['admin'], params: schemaOf(sectionParams), querystring: schemaOf(versionQuery), body: schemaOf(anyBody) } },
    async (request) => {
      const { section } = request.params;
      assertSection(section);
      return summary(await change(request.caller, `replace ${section}`, request.query, (document) => ({ ...document, [section]: request.body })));
    },
  );

  app.post<{ Params: { section: string }; Querystring: Query; Body: unknown }>(
    '/api/admin/config/:section',
    { config: admins, schema: { tags: ['admin'], params: schemaOf(sectionParams), querystring: schemaOf(versionQuery), body: schemaOf(anyBody) } },
    async (request, reply) => {
      const { section } = request.params;
      assertSection(section);
      const key = itemKey(request.body);
      const applied = await change(request.caller, `add ${section}[${key ?? '?'}]`, request.query, (document) => ({
        ...document,
        [section]: [...listOf(document, section), request.body],
      }));
      const list = listOf(applied.document, section);
      return reply.status(201).send({ ...summary(applied), item: list.find((item) => key !== null && itemKey(item) === key) ?? null });
    },
  );

  app.get<{ Params: { section: string; key: string } }>(
    '/api/admin/config/:section/:key',
    { config: admins, schema: { tags: ['admin'], params: schemaOf(itemParams) } },
    async (request) => {
      const { section, key } = request.params;
      assertSection(section);
      const stored = await active();
      const list = listOf(stored.document, section);
      return { version: stored.version, section, item: list[indexOf(list, section, key)] };
    },
  );

  app.put<{ Params: { section: string; key: string }; Querystring: Query; Body: unknown }>(
    '/api/admin/config/:section/:key',
    { config: admins, schema: { tags: ['admin'], params: schemaOf(itemParams), querystring: schemaOf(versionQuery), body: schemaOf(anyBody) } },
    async (request) => {
      const { section, key } = request.params;
      assertSection(section);
      const applied = await change(request.caller, `replace ${section}[${key}]`, request.query, (document) => {
        const list = [...listOf(document, section)];
        list[indexOf(list, section, key)] = request.body;
        return { ...document, [section]: list };
      });
      const newKey = itemKey(request.body) ?? key;
      return { ...summary(applied), item: listOf(applied.document, section).find((item) => itemKey(item) === newKey) ?? null };
    },
  );

  app.delete<{ Params: { section: string; key: string }; Querystring: Query }>(
    '/api/admin/config/:section/:key',
    { config: admins, schema: { tags: ['admin'], params: schemaOf(itemParams), querystring: schemaOf(versionQuery) } },
    async (request) => {
      const { section, key } = request.params;
      assertSection(section);
      const applied = await change(request.caller, `delete ${section}[${key}]`, request.query, (document) => {
        const list = [...listOf(document, section)];
        list.splice(indexOf(list, section, key), 1);
        return { ...document, [section]: list };
      });
      return summary(applied);
    },
  );

  /** A new token for a user (the old one stops working); shown this once. */
  app.post<{ Params: { id: string }; Querystring: Query }>(
    '/api/admin/users/:id/token',
    { config: admins, schema: { tags: ['admin'], params: schemaOf(userParams), querystring: schemaOf(versionQuery) } },
    async (request, reply) => {
      const token = generateToken();
      const applied = await change(request.caller, `new token users[${request.params.id}]`, request.query, (document) => {
        const users = [...listOf(document, 'users')] as Record<string, unknown>[];
        const index = indexOf(users, 'users', request.params.id);
        const { tokenHash: _old, token: _plain, ...user } = users[index] ?? {};
        users[index] = { ...user, token };
        return { ...document, users };
      });
      return reply.status(201).send({ version: applied.version, userId: request.params.id, token });
    },
  );
}
