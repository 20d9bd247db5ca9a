/**
 * Several Switchboard processes route at once against one Postgres and one Redis: hundreds of
 * interactions, tens of agents. No agent is ever over capacity, no reservation leaks, no interaction
 * is lost, and every one reaches closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.ts';
import { SwitchboardError } from '../../src/errors.ts';
import { spawnSwitchboard, writeConfigFile, type SwitchboardProcess } from '../support/processes.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

const AGENTS = 30;
const INTERACTIONS = 300;

function config(): ConfigInput {
  return {
    users: [
      { id: 'admin', name: 'Admin', role: 'admin', token: 'admin-token-0123456789abcdef' },
      ...Array.from({ length: AGENTS }, (_, i) => ({
        id: `agent${i}`,
        name: `Agent ${i}`,
        role: 'agent' as const,
        token: `agent-token-${String(i).padStart(4, '0')}-abcdefgh`,
        workgroups: ['support'],
        skills: (i % 3 === 0 ? { billing: (i % 10) + 1 } : {}) as Record<string, number>,
        capacity: { email: 2, sms: 1 },
      })),
    ],
    workgroups: [{ id: 'support', name: 'Support' }],
    categories: [
      { id: 'billing', rules: ['invoice'], workgroup: 'support', skills: ['billing'], priority: 5 },
      { id: 'general', workgroup: 'support', default: true },
    ],
    routing: { offerTimeout: '20s', wrapUpTimeout: '60s', aging: { every: '1h', add: 1 } },
    dispositions: [{ code: 'resolved', default: true }],
  };
}

let sb: TestSwitchboard;
const processes: SwitchboardProcess[] = [];

beforeAll(async () => {
  sb = await startTestSwitchboard(config(), { workers: false, relayPollMs: 100 });
  // This process only takes interactions in and acts as the agents; the three below do all the
  // routing (their relays compete for the same outbox rows).
  await sb.relay.stop();
  const configFile = await writeConfigFile(config());
  for (let i = 0; i < 3; i++) processes.push(await spawnSwitchboard({ databaseUrl: sb.db.url, configFile, prefix: sb.prefix }));
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  await sb?.stop();
});

describe('routing across processes', () => {
  it('never exceeds capacity, never loses or doubles an interaction', async () => {
    const { sql } = sb.database;
    const violations: string[] = [];
    let checking = true;
    const checker = (async () => {
      while (checking) {
        // In one snapshot: each agent's load must equal what it holds, and never exceed its capacity.
        const rows = await sql<{ id: string; load_email: number; cap_email: number; load_sms: number; cap_sms: number; held_email: number; held_sms: number }[]>`
          select a.id, a.load_email, a.cap_email, a.load_sms, a.cap_sms,
            (select count(*)::int from interactions i where i.agent_id = a.id and i.channel = 'email' and i.state in ('offered','active','wrapUp')) as held_email,
            (select count(*)::int from interactions i where i.agent_id = a.id and i.channel = 'sms' and i.state in ('offered','active','wrapUp')) as held_sms
          from agents a`;
        for (const r of rows) {
          if (r.load_email > r.cap_email || r.load_sms > r.cap_sms) violations.push(`over capacity: ${JSON.stringify(r)}`);
          if (r.load_email !== r.held_email || r.load_sms !== r.held_sms) violations.push(`load differs from held: ${JSON.stringify(r)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();

    const at = () => new Date().toISOString();
    await Promise.all(Array.from({ length: AGENTS }, (_, i) => sb.engine.setPresence(`agent${i}`, { type: 'GO_AVAILABLE', at: at() }, 'test')));

    const created: string[] = [];
    for (let batch = 0; batch < INTERACTIONS / 30; batch++) {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, j) => {
          const n = batch * 30 + j;
          return sb.engine.intake(
            n % 4 === 0
              ? { channel: 'sms', from: `+1555000${String(n).padStart(4, '0')}`, to: '+15550001000', body: `question ${n}` }
              : { channel: 'email', from: `c${n}@example.com`, to: 'support@example.com', subject: n % 2 ? `invoice ${n}` : `hello ${n}`, body: 'text' },
            'test',
          );
        }),
      );
      created.push(...results.map((r) => r.id));
    }

    // Agents work: accept what they are offered, finish, wrap up.
    const ignoreStale = (error: unknown) => {
      if (!(error instanceof SwitchboardError) || (error.code !== 'INVALID_STATE' && error.code !== 'NOT_YOUR_INTERACTION')) throw error;
    };
    const deadline = Date.now() + 90_000;
    for (;;) {
      const open = await sql<{ id: string; state: string; agent_id: string }[]>`
        select id, state, agent_id from interactions where state in ('offered','active','wrapUp')`;
      await Promise.all(
        open.map(async (row) => {
          const work =
            row.state === 'offered'
              ? sb.actions.accept(row.id, row.agent_id)
              : row.state === 'active'
                ? sb.actions.done(row.id, row.agent_id)
                : sb.actions.wrapUp(row.id, row.agent_id, 'resolved');
          await work.catch(ignoreStale);
        }),
      );
      const [left] = await sql<{ count: number }[]>`select count(*)::int as count from interactions where state <> 'closed'`;
      if (left?.count === 0) break;
      if (Date.now() > deadline) throw new Error(`${left?.count} interactions not closed in time`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    checking = false;
    await checker;

    expect(violations.slice(0, 5)).toEqual([]);
    const [total] = await sql<{ count: number }[]>`select count(*)::int as count from interactions where state = 'closed' and id = any(${created}::uuid[])`;
    expect(total?.count).toBe(INTERACTIONS);
    // Every interaction was offered, accepted and closed exactly once (no offer timed out: 20 s is ample).
    const offers = await sql<{ offers: number; accepts: number }[]>`
      select count(*) filter (where type = 'OFFER')::int as offers, count(*) filter (where type = 'ACCEPT')::int as accepts,
             interaction_id from interaction_events group by interaction_id`;
    expect(offers).toHaveLength(INTERACTIONS);
    expect(offers.every((o) => o.offers === 1 && o.accepts === 1)).toBe(true);
    // Skills were respected: billing interactions went only to billing agents.
    const wrong = await sql`select i.id from interactions i join agents a on a.id = i.last_agent_id where i.category = 'billing' and not (a.skills ? 'billing')`;
    expect(wrong).toHaveLength(0);
    const loads = await sql<{ busy: number }[]>`select count(*)::int as busy from agents where load_email > 0 or load_sms > 0`;
    expect(loads[0]?.busy).toBe(0);
    // Several processes made routing decisions.
    const routers = await sql<{ actor: string }[]>`select distinct actor from interaction_events where type = 'OFFER'`;
    expect(routers.length).toBeGreaterThan(1);
    for (const p of processes) expect(p.child.exitCode).toBeNull();
  }, 150_000);
});
