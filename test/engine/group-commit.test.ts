/**
 * Group commit on a real Postgres: transactions that arrive together share one, and each keeps the
 * guarantees of a transaction of its own (all or nothing, its own error, no two members on one key,
 * a caught statement error never committed, a slow transaction never holding back the rest).
 */
import type { TransactionSql } from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.ts';
import { claimKey, GroupCommit, holdKey, keysHeldElsewhere } from '../../src/db/group-commit.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { SwitchboardError } from '../../src/errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTurnCountingProxy } from '../support/turn-counting-proxy.ts';

let db: TestDatabase;
let database: Database;

beforeAll(async () => {
  db = await createTestDatabase();
  database = connectDatabase(db.url, { max: 8 });
  await database.sql`create table items (id int primary key, txid bigint not null, note text)`;
});
afterAll(async () => {
  await database?.close();
  await db?.drop();
});
beforeEach(async () => {
  await database.sql`truncate items`;
});

/** Holds a lock on item `id` (created for it) in another transaction until `commit()`. */
async function holdRow(id: number): Promise<{ commit(): Promise<void>; release(): void }> {
  await database.sql`insert into items (id, txid) values (${id}, 0)`;
  const blocker = await database.sql.reserve();
  await blocker`begin`;
  await blocker`update items set note = 'held' where id = ${id}`;
  return {
    commit: async () => void (await blocker`commit`),
    release: () => blocker.release(),
  };
}

/** Inserts an item and returns the id of the transaction that did it. */
async function insert(tx: TransactionSql, id: number, note: string | null = null): Promise<number> {
  const [row] = await tx<{ txid: string }[]>`insert into items (id, txid, note) values (${id}, txid_current(), ${note}) returning txid::text`;
  return Number(row?.txid);
}

describe('group commit', () => {
  it('commits transactions that arrive together in a few shared transactions', async () => {
    const commits = new GroupCommit({ sql: database.sql });
    const txids = await Promise.all(Array.from({ length: 40 }, (_, i) => commits.run((tx) => insert(tx, i), [], undefined)));
    const rows = await database.sql<{ n: number; transactions: number }[]>`select count(*)::int as n, count(distinct txid)::int as transactions from items`;
    expect(rows[0]?.n).toBe(40);
    expect(new Set(txids).size).toBe(rows[0]?.transactions);
    // The first one runs alone at once; the others wait for it and go together.
    expect(rows[0]?.transactions).toBeLessThan(10);
    expect(commits.stats).toMatchObject({ members: 40, fallbacks: 0 });
    expect(commits.stats.groups).toBe(rows[0]?.transactions);
  });

  it('gives a member that fails its own error and commits the others without it', async () => {
    const commits = new GroupCommit({ sql: database.sql });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        commits.run(
          async (tx) => {
            await insert(tx, i);
            if (i === 5) throw new SwitchboardError('INVALID_STATE', 'member 5 refuses');
            return i;
          },
          [],
          undefined,
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(11);
    const refused = outcomes[5];
    expect(refused?.status === 'rejected' && (refused.reason as SwitchboardError).code).toBe('INVALID_STATE');
    const ids = (await database.sql<{ id: number }[]>`select id from items order by id`).map((r) => r.id);
    expect(ids).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
  });

  it('isolates a statement error: the member gets the database error, the others commit', async () => {
    const commits = new GroupCommit({ sql: database.sql });
    await database.sql`insert into items (id, txid) values (100, 0)`;
    // The last to arrive goes in a group (the first ones run alone while it is quiet).
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => commits.run((tx) => insert(tx, i === 9 ? 100 : i), [], undefined)),
    );
    const refused = outcomes[9];
    expect(refused?.status === 'rejected' && (refused.reason as { code?: string }).code).toBe('23505');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(9);
    expect((await database.sql<{ n: number }[]>`select count(*)::int as n from items`)[0]?.n).toBe(10);
    expect(commits.stats.fallbacks).toBeGreaterThan(0);
  });

  it('never puts two members with the same key in one transaction, nor runs them at once', async () => {
    const commits = new GroupCommit({ sql: database.sql });
    const txids = await Promise.all(Array.from({ length: 20 }, (_, i) => commits.run((tx) => insert(tx, i), [`key-${i % 2}`], undefined)));
    const byKey = [0, 1].map((k) => txids.filter((_, i) => i % 2 === k));
    for (const ids of byKey) expect(new Set(ids).size).toBe(ids.length);
  });

  it('lets a member claim a key once per transaction; alone every claim succeeds', async () => {
    const commits = new GroupCommit({ sql: database.sql });
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        commits.run(
          async (tx) => {
            const txid = await insert(tx, i);
            return { txid, claims: [claimKey(tx, 'shared'), claimKey(tx, 'shared'), claimKey(tx, `own-${i}`)] };
          },
          [],
          undefined,
        ),
      ),
    );
    // Alone, every claim succeeds; in each shared transaction exactly one member gets "shared".
    const byTransaction = new Map<number, typeof claims>();
    for (const c of claims) byTransaction.set(c.txid, [...(byTransaction.get(c.txid) ?? []), c]);
    expect([...byTransaction.values()].some((members) => members.length > 1)).toBe(true);
    for (const members of byTransaction.values()) {
      expect(members.filter((m) => m.claims[0])).toHaveLength(1);
      for (const { claims: [first, again, own] } of members) {
        expect(again).toBe(first);
        expect(own).toBe(true);
      }
    }
  });

  it('hands each transaction its members\' notes before it commits', async () => {
    const written: number[][] = [];
    const commits = new GroupCommit<number[]>({
      sql: database.sql,
      beforeCommit: (tx, notes) => {
        const all = notes.flat();
        written.push(all);
        return {
          statement: tx`insert into items (id, txid, note) select id, txid_current(), 'noted' from unnest(${all}::int[]) as id returning id`,
          read: (rows) => rows.length,
        };
      },
    });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => {
        const note: number[] = [];
        return commits.run(
          async (tx) => {
            await insert(tx, i);
            note.push(1000 + i);
          },
          [],
          note,
        );
      }),
    );
    expect(written.flat().sort()).toEqual(Array.from({ length: 8 }, (_, i) => 1000 + i));
    const noted = await database.sql<{ id: number; txid: string }[]>`select id, txid::text from items order by id`;
    const txidOf = new Map(noted.map((r) => [r.id, r.txid]));
    for (let i = 0; i < 8; i++) expect(txidOf.get(1000 + i)).toBe(txidOf.get(i));
  });

  it('runs work apart at once while every place is taken, with its notes before it commits, and lets the queue go on', async () => {
    const written: number[][] = [];
    const commits = new GroupCommit<number[]>({
      sql: database.sql,
      concurrency: 1,
      beforeCommit: (tx, notes) => {
        written.push(notes.flat());
        return { statement: tx`select 1`, read: (rows) => rows.length };
      },
    });
    let finish = () => {};
    const mayFinish = new Promise<void>((resolve) => (finish = resolve));
    let holds = () => {};
    const holding = new Promise<void>((resolve) => (holds = resolve));
    // The one place is taken by a transaction that waits, and another waits for the place.
    const slow = commits.run(async (tx) => {
      await insert(tx, 1);
      holds();
      await mayFinish;
    }, ['item:1'], []);
    await holding;
    const queued = commits.run((tx) => insert(tx, 2), ['item:2'], []);
    const note: number[] = [];
    const apart = await commits.runApart(async (tx) => {
      note.push(3);
      return insert(tx, 3);
    }, note);
    // Committed while the other two had not: seen from outside, in a transaction of its own.
    const seen = await database.sql<{ id: number; txid: string }[]>`select id, txid::text from items order by id`;
    expect(seen.map((row) => row.id)).toEqual([3]);
    expect(Number(seen[0]?.txid)).toBe(apart);
    expect(written).toEqual([[3]]);
    finish();
    await Promise.all([slow, queued]);
    expect((await database.sql<{ id: number }[]>`select id from items order by id`).map((row) => row.id)).toEqual([1, 2, 3]);
    // Work apart is not a group's member.
    expect(commits.stats.members).toBe(2);
    // What work apart held on the way is free once it has ended.
    const seenDuring = await commits.runApart(async (tx) => {
      holdKey(tx, 'agent:apart');
      return commits.run(async (other) => keysHeldElsewhere(other, 'agent:'), [], []);
    }, []);
    expect(seenDuring).toEqual(['apart']);
    expect(await commits.run(async (tx) => keysHeldElsewhere(tx, ''), [], [])).toEqual([]);
  });

  it('gives work apart its own error and commits nothing of it', async () => {
    const commits = new GroupCommit({ sql: database.sql });
    const failing = commits.runApart(async (tx) => {
      await insert(tx, 9);
      return tx`select * from no_such_table`;
    }, undefined);
    await expect(failing).rejects.toMatchObject({ code: '42P01' });
    expect((await database.sql<{ n: number }[]>`select count(*)::int as n from items`)[0]?.n).toBe(0);
  });

  it('does not let a transaction that waits for a lock hold back the others for long', async () => {
    const commits = new GroupCommit({ sql: database.sql, stallMs: 50 });
    const blocker = await holdRow(500);
    try {
      const waiting = commits.run((tx) => tx`update items set note = 'waited' where id = 500`, [], undefined);
      const started = performance.now();
      await Promise.all(Array.from({ length: 5 }, (_, i) => commits.run((tx) => insert(tx, i), [], undefined)));
      expect(performance.now() - started).toBeLessThan(1_000);
      await blocker.commit();
      await waiting;
    } finally {
      blocker.release();
    }
    expect((await database.sql<{ note: string }[]>`select note from items where id = 500`)[0]?.note).toBe('waited');
  });

  it('gives up a group that waits long for a lock and runs its members alone', async () => {
    const commits = new GroupCommit({ sql: database.sql, lockTimeoutMs: 100 });
    const blocker = await holdRow(500);
    try {
      // The first runs alone; the rest share a transaction, in which one member waits for the held row.
      const runs = Array.from({ length: 8 }, (_, i) =>
        commits.run(async (tx) => (i === 7 ? (await tx`update items set note = 'waited' where id = 500`).count : insert(tx, i)), [], undefined),
      );
      const others = Promise.all(runs.slice(0, 7));
      await others;
      expect(commits.stats.fallbacks).toBeGreaterThan(0);
      await blocker.commit();
      await runs[7];
    } finally {
      blocker.release();
    }
    expect((await database.sql<{ n: number }[]>`select count(*)::int as n from items where id < 500`)[0]?.n).toBe(7);
    expect((await database.sql<{ note: string }[]>`select note from items where id = 500`)[0]?.note).toBe('waited');
  });

  it('commits nothing when the final write fails, alone or in a group: that member gets its error', async () => {
    // The final write of a transaction that noted 13 fails (13 is there already): its work is undone too.
    await database.sql`insert into items (id, txid, note) values (1013, 0, 'there')`;
    const commits = new GroupCommit<number[], number>({
      sql: database.sql,
      beforeCommit: (tx, notes) => ({
        statement: tx`insert into items (id, txid, note) select 1000 + id, txid_current(), 'final' from unnest(${notes.flat()}::int[]) as id returning id`,
        read: (rows) => rows.length,
      }),
    });
    const alone = commits.run((tx) => insert(tx, 13), [], [13]);
    await expect(alone).rejects.toMatchObject({ code: '23505' });
    // Together: the group fails, and its members run again alone, where only the one noting 13 fails.
    const together = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => commits.run((tx) => insert(tx, 20 + i), [], [i === 3 ? 13 : 20 + i])));
    expect(together.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const rows = await database.sql<{ id: number }[]>`select id from items order by id`;
    expect(rows.map((row) => row.id)).toEqual([20, 21, 22, 24, 25, 1013, 1020, 1021, 1022, 1024, 1025]);
  });

  it('sends BEGIN with the first statement and COMMIT with the final write: a lone transaction takes two round trips', async () => {
    const server = new URL(db.url);
    const proxy = await startTurnCountingProxy({ host: server.hostname, port: Number(server.port || 5432) });
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const viaProxy = connectDatabase(url.toString(), { max: 1 });
    try {
      const commits = new GroupCommit<number[], number>({
        sql: viaProxy.sql,
        beforeCommit: (tx, notes) => ({ statement: tx`insert into items (id, txid, note) select id, txid_current(), ${'x'.repeat(3000)} from unnest(${notes.flat()}::int[]) as id returning id`, read: (rows) => rows.length }),
      });
      // The first prepares the statements (a round trip of its own for each, the first time on a connection).
      await commits.run((tx) => insert(tx, 1), [], [101]);
      const before = proxy.turns;
      await commits.run((tx) => insert(tx, 2), [], [102]);
      expect(proxy.turns - before).toBe(2);
      const rows = await database.sql<{ id: number; txid: string }[]>`select id, txid::text from items where id in (2, 102) order by id`;
      expect(rows).toHaveLength(2);
      expect(rows[0]?.txid).toBe(rows[1]?.txid);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('runs a transaction again when Postgres breaks a deadlock with it', async () => {
    const commits = new GroupCommit({ sql: database.sql });
    await database.sql`insert into items (id, txid) values (1, 0), (2, 0)`;
    const other = await database.sql.reserve();
    try {
      await other`begin`;
      await other`update items set note = 'other' where id = 1`;
      let attempts = 0;
      let otherDone!: () => void;
      const otherCommitted = new Promise<void>((resolve) => (otherDone = resolve));
      const work = commits.run(
        async (tx) => {
          attempts += 1;
          // The run again goes on once the other has committed: started sooner, it could take row 2
          // before the other does and meet it in a second deadlock.
          if (attempts > 1) await otherCommitted;
          await tx`update items set note = 'work' where id = 2`;
          await tx`update items set note = 'work' where id = 1`;
        },
        [],
        undefined,
      );
      await expect.poll(async () => (await database.sql`select 1 from pg_locks where not granted`).length, { timeout: 5_000, interval: 20 }).toBeGreaterThan(0);
      // Now each waits for the other; Postgres aborts the one that waited first (the work), which runs again.
      await other`update items set note = 'other' where id = 2`;
      await other`commit`;
      otherDone();
      await work;
      expect(attempts).toBe(2);
    } finally {
      other.release();
    }
    const notes = await database.sql<{ id: number; note: string }[]>`select id, note from items order by id`;
    expect(notes.map((r) => r.note)).toEqual(['work', 'work']);
  });

  it('refuses to report a commit that Postgres rolled back because a caught statement failed', async () => {
    await expect(
      inTransaction(database.sql, async (tx) => {
        await insert(tx, 1);
        await tx`select 1 / 0`.catch(() => null);
        return 'done';
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await database.sql<{ n: number }[]>`select count(*)::int as n from items`)[0]?.n).toBe(0);
  });
  it("tells a transaction which keys this process's other transactions hold, until they end", async () => {
    const commits = new GroupCommit({ sql: database.sql, stallMs: 0 });
    let finishFirst = () => {};
    const firstMayFinish = new Promise<void>((resolve) => (finishFirst = resolve));
    let firstHolds = () => {};
    const firstHolding = new Promise<void>((resolve) => (firstHolds = resolve));
    const first = commits.run(
      async (tx) => {
        await insert(tx, 1);
        // Found by looking, held from here on as if named.
        holdKey(tx, 'agent:found');
        const seenAlone = keysHeldElsewhere(tx, '');
        firstHolds();
        await firstMayFinish;
        return seenAlone;
      },
      ['agent:named', 'interaction:1'],
      undefined,
    );
    await firstHolding;
    const second = await commits.run(async (tx) => {
      await insert(tx, 2);
      return { agents: keysHeldElsewhere(tx, 'agent:').sort(), interactions: keysHeldElsewhere(tx, 'interaction:') };
    }, ['agent:own'], undefined);
    finishFirst();
    // The second saw the first's keys (named and held), not its own; the first, running alone then, saw none.
    expect(second).toEqual({ agents: ['found', 'named'], interactions: ['1'] });
    expect(await first).toEqual([]);
    // Once both ended, nothing is held.
    expect(await commits.run(async (tx) => keysHeldElsewhere(tx, ''), [], undefined)).toEqual([]);
  });
});
