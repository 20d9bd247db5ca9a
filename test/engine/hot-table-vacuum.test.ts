/**
 * The small tables rewritten on every offer and side effect (agents, their routing slots, the outbox)
 * are vacuumed by the worker processes once enough dead row versions pile up in them, whatever
 * autovacuum does; tables with few dead versions are left alone.
 */
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HotTableVacuum } from '../../src/db/hot-table-vacuum.ts';
import { twoAgentConfig } from '../support/configs.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../support/switchboard.ts';

let sb: TestSwitchboard;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  // The switchboard's own vacuum looks only once an hour here: the first tests sweep by hand.
  sb = await startTestSwitchboard(twoAgentConfig(), { hotTableVacuum: { everyMs: 3_600_000 } });
});
afterAll(async () => {
  await sb?.stop();
});

/** Rewrites every routing slot `times` times on one connection, and has Postgres count the dead versions at once. */
async function rewriteSlots(times: number): Promise<number> {
  const sql = postgres(sb.db.url, { max: 1, onnotice: () => {} });
  try {
    let rows = 0;
    for (let i = 0; i < times; i++) rows += (await sql`update agent_slots set idle_since = idle_since + interval '1 millisecond'`).count;
    await sql`select pg_stat_force_next_flush()`;
    return rows;
  } finally {
    await sql.end();
  }
}

async function slotStats(): Promise<{ dead: number; vacuums: number }> {
  const [row] = await sb.database.sql<{ dead: number; vacuums: number }[]>`
    select n_dead_tup::int as dead, vacuum_count::int as vacuums from pg_stat_user_tables where relname = 'agent_slots'`;
  return row ?? { dead: -1, vacuums: -1 };
}

describe('vacuuming the hot tables', () => {
  it('vacuums a table once its dead row versions pass the thresholds, and only then', async () => {
    const vacuum = new HotTableVacuum({ sql: sb.database.sql, logger, minDeadRows: 500, deadShare: 0.2 });
    const slots = await rewriteSlots(1);
    expect(slots).toBeGreaterThan(0);
    // A few dead versions: not worth a vacuum.
    expect(await vacuum.sweep()).not.toContain('agent_slots');
    const before = await slotStats();
    expect(before.dead).toBeGreaterThan(0);

    await rewriteSlots(Math.ceil(600 / slots));
    expect((await slotStats()).dead).toBeGreaterThanOrEqual(500);
    expect(await vacuum.sweep()).toContain('agent_slots');
    const after = await slotStats();
    expect(after.dead).toBe(0);
    expect(after.vacuums).toBe(before.vacuums + 1);
    // Nothing left to do.
    expect(await vacuum.sweep()).not.toContain('agent_slots');
    expect((await slotStats()).vacuums).toBe(after.vacuums);
  });

  it('the share of live rows counts too', async () => {
    const vacuum = new HotTableVacuum({ sql: sb.database.sql, logger, minDeadRows: 1, deadShare: 1_000 });
    // A vacuum counts the live rows, whatever ran before this test.
    await sb.database.sql`vacuum agent_slots`;
    const slots = await rewriteSlots(3);
    expect((await slotStats()).dead).toBeGreaterThanOrEqual(slots);
    expect(await vacuum.sweep()).not.toContain('agent_slots');
  });

  it('runs by itself in every worker process', async () => {
    const other = await sb.another({ api: false, hotTableVacuum: { everyMs: 100, minDeadRows: 50 } });
    try {
      const { vacuums } = await slotStats();
      await rewriteSlots(Math.ceil(100 / (await rewriteSlots(1))));
      await vi.waitFor(async () => expect((await slotStats()).vacuums).toBeGreaterThan(vacuums), { timeout: 10_000, interval: 50 });
      expect((await slotStats()).dead).toBe(0);
    } finally {
      await other.close();
    }
  });
});
