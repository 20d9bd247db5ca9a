/**
 * Statements are planned once per connection: Postgres's default would plan the agent's look for work
 * (given arrays: the agent's workgroups, media types and skills) anew at every run, which cost more
 * than running it. The generic plan it keeps instead must stay an index probe however deep the queue,
 * and must not be compiled to machine code (JIT), which its estimate for unknown parameters invites.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeAgent } from '../../src/engine/router.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { cloneQueued } from '../support/deep-queue.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

const QUEUED = 50_000;
let sb: TestSwitchboard;

beforeAll(async () => {
  const config = twoAgentConfig();
  config.users = (config.users ?? []).map((user) => (user.id === 'alice' ? { ...user, capacity: { email: 12, sms: 0 } } : user));
  // One connection, so that what it prepared can be read on it; no workers or relay to take it.
  sb = await startTestSwitchboard(config, { workers: false, databasePoolSize: 1 });
  await sb.relay.stop();
  const { id } = await sb.engine.intake({ channel: 'email', from: 'c@example.com', to: 's@example.com', subject: 'invoice', body: 'x' }, 'test');
  await cloneQueued(sb.database.sql, id, QUEUED - 1);
  await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'test');
}, 120_000);
afterAll(async () => {
  await sb?.stop();
});

describe('statement plans', () => {
  it('runs every connection with generic plans and without JIT', async () => {
    const [settings] = await sb.database.sql<{ plan_cache_mode: string; jit: string }[]>`
      select current_setting('plan_cache_mode') as plan_cache_mode, current_setting('jit') as jit`;
    expect(settings).toEqual({ plan_cache_mode: 'force_generic_plan', jit: 'off' });
  });

  it(`runs the agent's look for work on its generic plan, and offers the head of a queue of ${QUEUED.toLocaleString('en')} in milliseconds each time`, async () => {
    const heads = await sb.database.sql<{ id: string }[]>`
      select id from interactions where state = 'queued' order by priority desc nulls last, created_at asc limit 10`;
    const times: number[] = [];
    const offered: string[] = [];
    for (let i = 0; i < 10; i++) {
      const began = performance.now();
      const routing = await sb.engine.transaction((tx, outbox, now) => routeAgent(tx, sb.engine.config, 'alice', now, outbox));
      times.push(performance.now() - began);
      expect(routing.offer).not.toBeNull();
      offered.push(routing.offer!.interactionId);
    }
    // The head of the queue each time: the highest priority first, then the oldest.
    expect(offered).toEqual(heads.map((head) => head.id));
    const [look] = await sb.database.sql<{ name: string; parameter_types: string[]; generic_plans: number; custom_plans: number }[]>`
      select name, parameter_types::text[], generic_plans::int, custom_plans::int from pg_prepared_statements
      where statement like '%lateral%from interactions i%' and statement not like '%pg_prepared_statements%'`;
    // Each run used the one generic plan; none was planned for its parameters.
    expect(look).toMatchObject({ generic_plans: 10, custom_plans: 0 });
    // That plan (the same whatever the parameters) probes the queue's index and is not compiled to machine code.
    const placeholder = (type: string) => (type.endsWith('[]') ? `'{}'` : /int|numeric/.test(type) ? '5' : `''`);
    // postgres.js names its statements with random letters and digits (quoted: a name may begin with a digit).
    const [explained] = await sb.database.sql.unsafe<{ 'QUERY PLAN': [{ Plan: unknown; JIT?: unknown }] }[]>(
      `explain (format json) execute "${look!.name}"(${look!.parameter_types.map(placeholder).join(', ')})`,
    );
    const [plan] = explained!['QUERY PLAN'];
    expect(plan.JIT).toBeUndefined();
    const scans = JSON.stringify(plan.Plan);
    expect(scans).toContain('"Index Name":"interactions_queue_idx"');
    expect(scans).not.toContain('Seq Scan');
    expect(Math.max(...times.slice(1))).toBeLessThan(100);
  });
});
