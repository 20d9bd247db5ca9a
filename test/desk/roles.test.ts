/**
 * Roles on every desk endpoint, read from the OpenAPI document so new routes are covered as they
 * come: nobody without a valid token sees anything, agents cannot use supervisor or admin endpoints,
 * supervisors cannot read or change the configuration; and none of the refused calls changed anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deskConfig, TOKENS } from '../support/desk.ts';
import { client } from '../support/http-client.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
let routes: { method: string; path: string }[];

const ID = '00000000-0000-0000-0000-000000000000';
const concrete = (path: string) =>
  path.replace('{id}', ID).replace('{section}', 'categories').replace('{key}', 'billing').replace('{workgroup}', 'support');

beforeAll(async () => {
  sb = await startTestSwitchboard(deskConfig());
  const docs = await client(sb.url).get<{ paths: Record<string, Record<string, unknown>> }>('/docs/json');
  routes = Object.entries(docs.body.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
});
afterAll(async () => {
  await sb?.stop();
});

const desk = (prefix: string) => routes.filter((r) => r.path.startsWith(prefix));
const call = (token: string | undefined, route: { method: string; path: string }) =>
  client(sb.url, token).raw(route.method, concrete(route.path), ['POST', 'PUT'].includes(route.method) ? {} : undefined);

describe('roles on the desk', () => {
  it('covers the desk endpoints', () => {
    const paths = routes.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'GET /api/responses',
        'GET /api/interactions/{id}/suggestions',
        'GET /api/me/codes',
        'PUT /api/me/status-message',
        'GET /api/supervisor/queues',
        'GET /api/supervisor/agents',
        'POST /api/supervisor/interactions/{id}/priority',
        'POST /api/supervisor/interactions/{id}/reassign',
        'POST /api/supervisor/interactions/{id}/revoke',
        'GET /api/supervisor/reviews',
        'POST /api/supervisor/reviews/{id}/approve',
        'POST /api/supervisor/reviews/{id}/reject',
        'GET /api/supervisor/alerts',
        'GET /api/supervisor/events',
        'GET /api/admin/config',
        'PUT /api/admin/config',
        'PUT /api/admin/config/{section}/{key}',
        'DELETE /api/admin/config/{section}/{key}',
        'POST /api/admin/users/{id}/token',
        'GET /api/admin/audit',
      ]),
    );
  });

  it('shows nothing to callers without a valid token', async () => {
    const guarded = [...desk('/api/supervisor'), ...desk('/api/admin'), ...desk('/api/responses'), ...desk('/api/me/'), { method: 'GET', path: '/api/interactions/{id}/suggestions' }];
    for (const token of [undefined, 'not-a-token-of-anyone-here']) {
      for (const route of guarded) {
        const response = await call(token, route);
        expect(response.status, `${route.method} ${route.path}`).toBe(401);
        expect(response.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      }
    }
  });

  it('keeps agents out of supervisor and admin endpoints, and supervisors out of the configuration', async () => {
    const version = sb.engine.config.version();
    for (const route of [...desk('/api/supervisor'), ...desk('/api/admin')]) {
      const response = await call(TOKENS.alice, route);
      expect(response.status, `agent ${route.method} ${route.path}`).toBe(403);
      expect(response.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    for (const route of desk('/api/admin')) {
      const response = await call(TOKENS.supervisor, route);
      expect(response.status, `supervisor ${route.method} ${route.path}`).toBe(403);
    }
    // Supervisors do use their own endpoints.
    expect((await client(sb.url, TOKENS.supervisor).get('/api/supervisor/queues')).status).toBe(200);
    expect((await client(sb.url, TOKENS.admin).get('/api/supervisor/queues')).status).toBe(200);
    const [audit] = await sb.database.sql<{ n: number }[]>`select count(*)::int as n from config_audit`;
    expect(audit?.n).toBe(1);
    expect(sb.engine.config.version()).toBe(version);
  });
});
