/**
 * kill -9 the only worker process in the middle of a run: offers ringing out, wrap-ups pending,
 * aging ticking. After a restart every pending timer still fires and every interaction reaches its
 * expected end, closed by its wrap-up timer, with no agent capacity leaked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.ts';
import { SwitchboardError } from '../../src/errors.ts';
import { replayInteraction } from '../../src/replay/replay.ts';
import { spawnSwitchboard, writeConfigFile, type SwitchboardProcess } from '../support/processes.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

const AGENTS = 10;
const INTERACTIONS = 120;

function config(): ConfigInput {
  return {
    users: Array.from({ length: AGENTS }, (_, i) => ({
      id: `agent${i}`,
      name: `Agent ${i}`,
      role: 'agent' as const,
      token: `agent-token-${String(i).padStart(4, '0')}-abcdefgh`,
      workgroups: ['support'],
      capacity: { email: 2, sms: 0 },
    })),
    workgroups: [{ id: 'support', name: 'Support' }],
    categories: [{ id: 'general', workgroup: 'support', default: true }],
    routing: { offerTimeout: '1s', ronaPriorityIncrement: 3, wrapUpTimeout: '1s', aging: { every: '700ms', add: 1 } },
    dispositions: [{ code: 'resolved', default: true }, { code: 'other' }],
  };
}

let sb: TestSwitchboard;
let configFile: string;
const processes: SwitchboardProcess[] = [];

beforeAll(async () => {
  // This process serves as an API process: it commits agents' actions and relays, but runs no timers.
  sb = await startTestSwitchboard(config(), { workers: false, relayPollMs: 100, outboxLeaseMs: 2_000 });
  configFile = await writeConfigFile(config());
  processes.push(await spawnSwitchboard({ databaseUrl: sb.db.url, configFile, prefix: sb.prefix }));
}, 60_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill('SIGTERM')));
  await sb?.stop();
});

describe('a worker killed with SIGKILL', () => {
  it('loses nothing: after a restart every timer fires and every interaction closes', async () => {
    const { sql } = sb.database;
    const at = () => new Date().toISOString();
    const available = () =>
      Promise.all(Array.from({ length: AGENTS }, (_, i) => sb.engine.setPresence(`agent${i}`, { type: 'GO_AVAILABLE', at: at() }, 'test')));
    await available();
    for (let n = 0; n < INTERACTIONS; n++) {
      await sb.engine.intake({ channel: 'email', from: `c${n}@example.com`, to: 'support@example.com', subject: `case ${n}`, body: 'x' }, 'test');
    }

    const ignoreStale = (error: unknown) => {
      if (!(error instanceof SwitchboardError) || (error.code !== 'INVALID_STATE' && error.code !== 'NOT_YOUR_INTERACTION')) throw error;
    };
    let killed = false;
    let restarted = false;
    const deadline = Date.now() + 100_000;
    const firstOffers = new Map<string, string>();
    for (;;) {
      // Odd agents let their first offer of each interaction ring out; the rest accept and finish at once.
      // Wrap-up is left to its timer, so every interaction's end is a timer firing.
      const offered = await sql<{ id: string; agent_id: string; offer_id: string }[]>`
        select id, agent_id, snapshot -> 'context' ->> 'offerId' as offer_id from interactions where state = 'offered'`;
      await Promise.all(
        offered.map(async (row) => {
          const agentNumber = Number(row.agent_id.slice(5));
          if (!firstOffers.has(row.id)) firstOffers.set(row.id, row.offer_id);
          if (agentNumber % 2 === 1 && firstOffers.get(row.id) === row.offer_id) return;
          await sb.actions.accept(row.id, row.agent_id).catch(ignoreStale);
          await sb.actions.done(row.id, row.agent_id).catch(ignoreStale);
        }),
      );
      // Agents who rang out come back.
      const away = await sql<{ id: string }[]>`select id from agents where status = 'not_ready'`;
      await Promise.all(away.map((a) => sb.engine.setPresence(a.id, { type: 'GO_AVAILABLE', at: at() }, 'test')));

      const [closed] = await sql<{ count: number }[]>`select count(*)::int as count from interactions where state = 'closed'`;
      if (!killed && (closed?.count ?? 0) >= INTERACTIONS * 0.3) {
        await processes[0]!.kill('SIGKILL');
        killed = true;
        // Timers keep coming due while no worker runs.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        processes.push(await spawnSwitchboard({ databaseUrl: sb.db.url, configFile, prefix: sb.prefix }));
        restarted = true;
      }
      if (closed?.count === INTERACTIONS) break;
      if (Date.now() > deadline) {
        const states = await sql`select state, count(*)::int from interactions group by state`;
        throw new Error(`not all closed: ${JSON.stringify(states)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(killed && restarted).toBe(true);

    // Every interaction was closed by its wrap-up timer, with the default disposition.
    const endings = await sql<{ type: string; disposition: string; count: number }[]>`
      select e.type, i.disposition, count(*)::int as count from interactions i
      join interaction_events e on e.interaction_id = i.id and e.seq = i.version group by e.type, i.disposition`;
    expect(endings).toEqual([{ type: 'timer.wrapUp', disposition: 'resolved', count: INTERACTIONS }]);
    // Offers did ring out and were re-routed.
    const [ronas] = await sql<{ count: number }[]>`select count(*)::int as count from interaction_events where type = 'timer.offerTimeout'`;
    expect(ronas?.count).toBeGreaterThan(0);
    // No capacity leaked, nothing left to dispatch, and each interaction's history still replays.
    const [busy] = await sql<{ count: number }[]>`select count(*)::int as count from agents where load_email <> 0`;
    expect(busy?.count).toBe(0);
    await expect.poll(async () => (await sql<{ count: number }[]>`select count(*)::int as count from outbox`)[0]?.count, { timeout: 10_000 }).toBe(0);
    const ids = await sql<{ id: string }[]>`select id from interactions`;
    const reports = await Promise.all(ids.map((row) => replayInteraction(sql, row.id)));
    expect(reports.filter((r) => !r.consistent).map((r) => r.divergedAt)).toEqual([]);
  }, 150_000);
});
