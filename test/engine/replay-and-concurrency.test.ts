/**
 * Replay of stored histories (through this machine and through a changed one, from the command line)
 * and concurrent events on one interaction: every one applied, none lost.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replayInteraction } from '../../src/replay/replay.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;

// A Switchboard of its own for each test: an interaction one test leaves queued would be offered to the
// agents of the next (its offer ringing out would set an agent not ready in the middle of that test).
beforeEach(async () => {
  sb = await startTestSwitchboard(twoAgentConfig({ routing: { offerTimeout: '300ms', wrapUpTimeout: '1m', aging: { every: '1h', add: 1 } } }));
});
afterEach(async () => {
  await sb?.stop();
});

describe('concurrent events on one interaction', () => {
  it('applies every one of them, in some order, with contiguous sequence numbers', async () => {
    const { id } = await sb.engine.intake({ channel: 'email', from: 'a@example.com', to: 's@example.com', subject: 'hello', body: 'x' }, 'test');
    const before = (await sb.database.sql<{ version: number }[]>`select version from interactions where id = ${id}`)[0]!.version;
    await Promise.all(Array.from({ length: 25 }, (_, i) => sb.engine.send(id, { type: 'SET_PRIORITY', priority: 100 + i }, 'test')));
    const [row] = await sb.database.sql<{ version: number; priority: number }[]>`select version, priority from interactions where id = ${id}`;
    expect(row!.version).toBe(before + 25);
    const seqs = await sb.database.sql<{ seq: number }[]>`select seq from interaction_events where interaction_id = ${id} order by seq`;
    expect(seqs.map((s) => s.seq)).toEqual(Array.from({ length: before + 26 }, (_, i) => i));
    const [last] = await sb.database.sql<{ event: { priority: number } }[]>`select event from interaction_events where interaction_id = ${id} order by seq desc limit 1`;
    expect(row!.priority).toBe(last!.event.priority);
  });
});

describe('replay', () => {
  it('reports a stored history consistent, and names where a changed machine diverges', async () => {
    const at = () => new Date().toISOString();
    await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: at() }, 'test');
    const { id } = await sb.engine.intake({ channel: 'email', from: 'b@example.com', to: 's@example.com', subject: 'refund please', body: 'x' }, 'test');
    // Alice lets it ring out (and goes not ready); Bob then takes it.
    await expect.poll(async () => (await sb.database.sql`select count(*)::int as n from interaction_events where interaction_id = ${id} and type = 'timer.offerTimeout'`)[0]?.n, { timeout: 10_000 }).toBe(1);
    await sb.engine.setPresence('bob', { type: 'GO_AVAILABLE', at: at() }, 'test');
    await expect.poll(async () => (await sb.database.sql`select agent_id from interactions where id = ${id}`)[0]?.agent_id, { timeout: 10_000 }).toBe('bob');
    await sb.actions.accept(id, 'bob');

    const report = await replayInteraction(sb.database.sql, id);
    expect(report.consistent).toBe(true);
    expect(report.steps.map((s) => s.type)).toEqual(['xstate.init', 'ACKNOWLEDGE', 'CATEGORIZE', 'ENQUEUE', 'OFFER', 'timer.offerTimeout', 'OFFER', 'ACCEPT']);

    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', ...args], {
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: sb.db.url },
      });
    const same = cli(id);
    expect(same.status).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ interactionId: id, consistent: true });

    const changed = cli(id, '--machine', 'test/fixtures/machines/never-rings-out.machine.ts');
    expect(changed.status).toBe(1);
    const diverged = JSON.parse(changed.stdout) as { consistent: boolean; divergedAt: { seq: number; type: string; handled: boolean } };
    expect(diverged.consistent).toBe(false);
    expect(diverged.divergedAt).toMatchObject({ seq: 5, type: 'timer.offerTimeout', handled: false });

    expect(cli().status).toBe(2);
  });
});
