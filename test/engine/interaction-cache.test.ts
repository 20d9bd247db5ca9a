/**
 * The interaction cache: a change takes its interaction as this process last wrote it, and what
 * another process (another Engine on the same database) changed meanwhile is never lost nor decided
 * from: the copy is found stale, and the change runs again from the row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionEvent } from '../../machines/interaction.types.ts';
import { AgentActions } from '../../src/engine/agent-actions.ts';
import { Engine } from '../../src/engine/engine.ts';
import { InteractionCache } from '../../src/engine/interaction-cache.ts';
import type { LockedRow } from '../../src/engine/interaction-runtime.ts';
import { SwitchboardError } from '../../src/errors.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { outboxSize, startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
/** Another process on the same database: an engine with a cache of its own. */
let other: Engine;
let otherActions: AgentActions;
let customer = 0;

beforeAll(async () => {
  sb = await startTestSwitchboard(twoAgentConfig({ routing: { offerTimeout: '1m', ronaPriorityIncrement: 5, transferPriority: 40, wrapUpTimeout: '1m', aging: { every: '1h', add: 1 } } }));
  other = new Engine({ database: sb.database, config: sb.engine.config });
  otherActions = new AgentActions(other);
});
afterAll(async () => {
  await sb?.stop();
});

const at = () => new Date().toISOString();

/** A new email interaction, offered to Alice (the only agent available) by this process (in its intake, or by its relay). */
async function offeredToAlice(): Promise<string> {
  await sb.engine.setPresence('alice', { type: 'GO_AVAILABLE', at: at() }, 'test');
  const { id } = await sb.engine.intake({ channel: 'email', from: `cache${customer++}@example.com`, to: 's@example.com', subject: 'hello', body: 'x' }, 'test');
  await expect
    .poll(async () => (await sb.database.sql<{ state: string; agent_id: string | null }[]>`select state, agent_id from interactions where id = ${id}`)[0])
    .toEqual({ state: 'offered', agent_id: 'alice' });
  return id;
}

/** Nobody to offer new interactions to: they stay queued. */
async function nobodyAvailable(): Promise<void> {
  await sb.engine.setPresence('alice', { type: 'GO_NOT_READY', reason: 'Lunch', at: at() }, 'test');
}

async function row(id: string) {
  const [found] = await sb.database.sql<{ state: string; agent_id: string | null; version: number; priority: number; open_alerts: number }[]>`
    select state, agent_id, version, priority, open_alerts from interactions where id = ${id}`;
  return found!;
}

async function history(id: string): Promise<{ seq: number; type: string }[]> {
  return [...(await sb.database.sql<{ seq: number; type: string }[]>`select seq, type from interaction_events where interaction_id = ${id} order by seq`)];
}

function stats(engine: Engine) {
  const found = engine.interactionCacheStats;
  if (found === null) throw new Error('the engine keeps no interaction cache');
  return found;
}

describe('the interaction cache', () => {
  it('takes each change of an interaction from the copy it wrote last, and keeps none of one that is over', async () => {
    const id = await offeredToAlice();
    expect(sb.engine.keepsCopyOf(id)).toBe(true);
    const before = stats(sb.engine);
    await sb.actions.accept(id, 'alice');
    await sb.actions.done(id, 'alice');
    await sb.actions.wrapUp(id, 'alice', 'resolved');
    const after = stats(sb.engine);
    expect(after.hits - before.hits).toBe(3);
    expect(after.stale - before.stale).toBe(0);
    expect((await row(id)).state).toBe('closed');
    expect(sb.engine.keepsCopyOf(id)).toBe(false);
    const types = (await history(id)).map((event) => event.type);
    expect(types.slice(-3)).toEqual(['ACCEPT', 'DONE', 'WRAP_UP']);
  });

  it('makes a change from the row when another process changed it since: nothing the other did is lost', async () => {
    const id = await offeredToAlice();
    // The other process accepts it; this one still has it offered.
    await otherActions.accept(id, 'alice');
    const staleBefore = stats(sb.engine).stale;
    // By the copy, DONE does not apply to an offer; by the row it does.
    await sb.actions.done(id, 'alice');
    expect(stats(sb.engine).stale - staleBefore).toBe(1);
    expect((await row(id)).state).toBe('wrapUp');
    const events = await history(id);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i));
    expect(events.slice(-2).map((event) => event.type)).toEqual(['ACCEPT', 'DONE']);
    await sb.actions.wrapUp(id, 'alice', 'resolved');
  });

  it('reports the error the row gives, not one decided from a stale copy', async () => {
    const id = await offeredToAlice();
    // The other process declines it for Alice: by the copy she still holds the offer.
    await otherActions.decline(id, 'alice');
    expect((await row(id)).state).toBe('queued');
    const staleBefore = stats(sb.engine).stale;
    const versionBefore = (await row(id)).version;
    const refused = await sb.actions.accept(id, 'alice').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SwitchboardError);
    expect((refused as SwitchboardError).code).toBe('NOT_YOUR_INTERACTION');
    expect(stats(sb.engine).stale - staleBefore).toBe(1);
    expect(await row(id)).toMatchObject({ state: 'queued', agent_id: null, version: versionBefore });
  });

  it('applies an event the copy says no longer applies when the row takes it (a timer)', async () => {
    const id = await offeredToAlice();
    await otherActions.accept(id, 'alice');
    const done: InteractionEvent = { type: 'DONE', agentId: 'alice', wrapUpTimeoutMs: 60_000, defaultDisposition: 'resolved' };
    expect(await sb.engine.deliver(id, done, 'test')).toBe(true);
    expect((await row(id)).state).toBe('wrapUp');
    await sb.actions.wrapUp(id, 'alice', 'resolved');
  });

  it('finds the copy stale when the row counts alerts it does not know of', async () => {
    await nobodyAvailable();
    const { id } = await sb.engine.intake({ channel: 'email', from: `cache${customer++}@example.com`, to: 's@example.com', subject: 'later', body: 'x' }, 'test');
    await sb.engine.send(id, { type: 'SET_PRIORITY', priority: 3 }, 'test');
    // As the desk worker of another process does when an alert is raised.
    await sb.database.sql`update interactions set open_alerts = open_alerts + 1 where id = ${id}`;
    const staleBefore = stats(sb.engine).stale;
    await sb.engine.send(id, { type: 'SET_PRIORITY', priority: 4 }, 'test');
    expect(stats(sb.engine).stale - staleBefore).toBe(1);
    expect(await row(id)).toMatchObject({ priority: 4, open_alerts: 1 });
  });

  it('runs a group with a stale member again as a group, not one by one', async () => {
    // One commit at a time: the first change goes alone, the next three wait for it and go together.
    const mine = new Engine({ database: sb.database, config: sb.engine.config, commitConcurrency: 1 });
    await nobodyAvailable();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { id } = await mine.intake({ channel: 'email', from: `cache${customer++}@example.com`, to: 's@example.com', subject: 'queued', body: 'x' }, 'test');
      ids.push(id);
    }
    await other.send(ids[2]!, { type: 'SET_PRIORITY', priority: 50 }, 'test');
    // Their routing (nobody to offer them to) is over: no other transaction holds their rows meanwhile.
    await expect.poll(() => outboxSize(sb), { timeout: 10_000 }).toBe(0);
    const before = { ...mine.commitStats };
    const staleBefore = stats(mine).stale;
    await Promise.all(ids.map((id, i) => mine.send(id, { type: 'SET_PRIORITY', priority: 60 + i }, 'test')));
    const after = mine.commitStats;
    expect(after.groups - before.groups).toBe(2);
    expect(after.members - before.members).toBe(4);
    expect(after.fallbacks - before.fallbacks).toBe(0);
    expect(stats(mine).stale - staleBefore).toBe(1);
    for (const [i, id] of ids.entries()) expect((await row(id)).priority).toBe(60 + i);
    const events = await history(ids[2]!);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i));
  });
});

describe('InteractionCache', () => {
  const copy = (version: number) => ({ version }) as unknown as LockedRow;

  it('keeps at most its capacity, forgetting the least recently used first', () => {
    const cache = new InteractionCache(2);
    cache.apply(new Map([['a', copy(1)], ['b', copy(1)]]));
    expect(cache.take('a')?.version).toBe(1);
    cache.apply(new Map([['c', copy(1)]]));
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    cache.apply(new Map([['a', null]]));
    expect(cache.stats).toEqual({ size: 1, hits: 1, stale: 0, pauses: 0 });
  });

  it('lends no copies for a while once more than a tenth of a window of them were stale', () => {
    let now = 0;
    const cache = new InteractionCache(1_000, () => now);
    const ids = Array.from({ length: 200 }, (_, i) => `i${i}`);
    cache.apply(new Map(ids.map((id) => [id, copy(1)])));
    // A window of 100 copies with ten stale: still lending.
    for (const [i, id] of ids.slice(0, 100).entries()) {
      expect(cache.take(id)).toBeDefined();
      if (i % 10 === 0) cache.drop(id);
    }
    expect(cache.take('i100')).toBeDefined();
    // The next window: eleven stale of a hundred.
    for (const [i, id] of ids.slice(101, 200).entries()) {
      if (i < 11) cache.drop(ids[i]!);
      expect(cache.take(id)).toBeDefined();
    }
    expect(cache.stats.pauses).toBe(1);
    expect(cache.take('i150')).toBeUndefined();
    now += 29_000;
    expect(cache.take('i150')).toBeUndefined();
    now += 1_000;
    expect(cache.take('i150')).toBeDefined();
  });
});
