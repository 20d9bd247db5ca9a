/** Bad input gets a clear error with a stable code, and changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, twoAgentConfig } from '../support/configs.ts';
import { client } from '../support/http-client.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
const count = async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions`)[0]?.n;
const events = async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interaction_events`)[0]?.n;

beforeAll(async () => {
  sb = await startTestSwitchboard(twoAgentConfig());
});
afterAll(async () => {
  await sb?.stop();
});

describe('authentication and roles', () => {
  it('refuses requests without a valid token', async () => {
    const anonymous = client(sb.url);
    for (const [method, path] of [
      ['GET', '/api/me'],
      ['GET', '/api/me/events'],
      ['POST', '/api/interactions'],
      ['GET', '/api/interactions/00000000-0000-0000-0000-000000000000'],
    ] as const) {
      const response = await anonymous.raw(method, path, method === 'POST' ? {} : undefined);
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.body).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    }
    const wrong = await client(sb.url, 'not-a-real-token-at-all').get('/api/me');
    expect(wrong.status).toBe(401);
  });

  it('checks roles', async () => {
    const agent = client(sb.url, TOKENS.alice);
    const created = await agent.post('/api/interactions', { channel: 'email', from: 'a@b.c', to: 'd@e.f', body: 'x' });
    expect(created.status).toBe(403);
    expect(created.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const supervisorStatus = await client(sb.url, TOKENS.supervisor).put('/api/me/status', { status: 'available' });
    expect(supervisorStatus.status).toBe(403);
    expect(await count()).toBe(0);
  });
});

describe('invalid requests', () => {
  const admin = () => client(sb.url, TOKENS.admin);

  it('rejects malformed JSON and invalid bodies with 400 and changes nothing', async () => {
    const malformed = await admin().raw('POST', '/api/interactions', '{"channel": "email",', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: 'INVALID_JSON' } });

    const missing = await admin().post('/api/interactions', { channel: 'fax', from: '', body: 1 });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    const details = (missing.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
    expect(details).toEqual(expect.arrayContaining(['channel', 'from', 'to', 'body']));

    const extra = await admin().post('/api/interactions', { channel: 'email', from: 'a@b.c', to: 'd@e.f', body: 'x', priority: 99 });
    expect(extra.status).toBe(400);

    const huge = await admin().post('/api/interactions', { channel: 'email', from: 'a@b.c', to: 'd@e.f', body: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await count()).toBe(0);
  });

  it('answers 404 for unknown interactions and routes', async () => {
    const unknown = await admin().get('/api/interactions/00000000-0000-0000-0000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'INTERACTION_NOT_FOUND' } });
    expect((await admin().get('/api/interactions/not-a-uuid')).status).toBe(404);
    expect((await client(sb.url, TOKENS.alice).post('/api/interactions/00000000-0000-0000-0000-000000000000/accept')).status).toBe(404);
    const route = await admin().get('/api/nothing-here');
    expect(route.status).toBe(404);
    expect(route.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refuses acting on another agent\'s offer or in the wrong state, and changes nothing', async () => {
    const alice = client(sb.url, TOKENS.alice);
    const bob = client(sb.url, TOKENS.bob);
    await bob.put('/api/me/status', { status: 'not_ready', reason: 'Lunch' });
    await alice.put('/api/me/status', { status: 'available' });
    const { body } = await admin().post<{ id: string }>('/api/interactions', { channel: 'email', from: 'a@b.c', to: 'd@e.f', subject: 'hi', body: 'x' });
    await expect.poll(async () => (await alice.get(`/api/interactions/${body.id}`)).body.state, { timeout: 5_000 }).toBe('offered');
    const before = await events();

    const bobAccept = await bob.post(`/api/interactions/${body.id}/accept`);
    expect(bobAccept.status).toBe(403);
    expect(bobAccept.body).toMatchObject({ error: { code: 'NOT_YOUR_INTERACTION' } });
    expect((await bob.get(`/api/interactions/${body.id}`)).status).toBe(403);

    const early = await alice.post(`/api/interactions/${body.id}/wrap-up`, { disposition: 'resolved' });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ error: { code: 'INVALID_STATE' } });
    expect((await alice.post(`/api/interactions/${body.id}/reply`, { body: 'too soon' })).status).toBe(409);
    expect((await alice.post(`/api/interactions/${body.id}/reply`, { body: '' })).status).toBe(400);
    expect((await alice.post(`/api/interactions/${body.id}/transfer`, { agentId: 'bob', workgroupId: 'support' })).status).toBe(400);
    expect(await events()).toBe(before);
    const messages = await sb.database.sql`select id from messages where interaction_id = ${body.id} and direction = 'out'`;
    expect(messages).toHaveLength(0);

    await alice.post(`/api/interactions/${body.id}/accept`);
    const unknownAgent = await alice.post(`/api/interactions/${body.id}/transfer`, { agentId: 'nobody' });
    expect(unknownAgent.status).toBe(400);
    expect(unknownAgent.body).toMatchObject({ error: { code: 'UNKNOWN_AGENT' } });
    const unknownGroup = await alice.post(`/api/interactions/${body.id}/transfer`, { workgroupId: 'nowhere' });
    expect(unknownGroup.body).toMatchObject({ error: { code: 'UNKNOWN_WORKGROUP' } });
    expect((await alice.get(`/api/interactions/${body.id}`)).body).toMatchObject({ state: 'active', agentId: 'alice' });
  });

  it('requires a known not-ready reason', async () => {
    const alice = client(sb.url, TOKENS.alice);
    const noReason = await alice.put('/api/me/status', { status: 'not_ready' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ error: { code: 'UNKNOWN_REASON' } });
    expect((await alice.put('/api/me/status', { status: 'not_ready', reason: 'No answer' })).status).toBe(400);
    expect((await alice.put('/api/me/status', { status: 'sleeping' })).status).toBe(400);
  });
});

describe('the service', () => {
  it('answers /healthz and serves the OpenAPI document at /docs', async () => {
    const health = await client(sb.url).get('/healthz');
    expect(health.status).toBe(200);
    const docs = await client(sb.url).get<{ openapi: string; paths: Record<string, unknown> }>('/docs/json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/api/interactions', '/api/interactions/{id}/accept', '/api/me/events']));
  });
});
