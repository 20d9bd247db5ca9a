/**
 * Reference numbers come from the interactions' sequence in blocks, on the caller's own transaction:
 * unique across processes, and a waiter is not failed by another transaction's failed fetch.
 */
import type { TransactionSql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, migrateDatabase, type Database } from '../../src/db/client.ts';
import { inTransaction } from '../../src/db/transaction.ts';
import { ReferenceNumbers } from '../../src/engine/references.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let database: Database;

beforeAll(async () => {
  db = await createTestDatabase();
  database = connectDatabase(db.url, { max: 6 });
  await migrateDatabase(database);
});
afterAll(async () => {
  await database?.close();
  await db?.drop();
});

describe('reference numbers', () => {
  it('never hands out a number twice, across processes and blocks', async () => {
    const processes = [new ReferenceNumbers(), new ReferenceNumbers()];
    const taken = await Promise.all(
      Array.from({ length: 150 }, (_, i) => inTransaction(database.sql, (tx) => processes[i % 2]!.next(tx)).then((done) => done.value)),
    );
    expect(new Set(taken).size).toBe(150);
    expect(taken.every((n) => Number.isInteger(n) && n > 0)).toBe(true);
  });

  it('fetches again on its own transaction when the fetch it waited for failed', async () => {
    const references = new ReferenceNumbers();
    const broken = await database.sql.reserve();
    const sound = await database.sql.reserve();
    try {
      await broken`begin`;
      await broken`select 1 / 0`.catch(() => null); // this transaction is aborted now
      await sound`begin`;
      const [failed, taken] = await Promise.allSettled([
        references.next(broken as unknown as TransactionSql),
        references.next(sound as unknown as TransactionSql),
      ]);
      expect(failed?.status).toBe('rejected');
      expect(taken?.status === 'fulfilled' && taken.value).toBeGreaterThan(0);
      await sound`commit`;
    } finally {
      await broken`rollback`.catch(() => null);
      broken.release();
      sound.release();
    }
  });
});
