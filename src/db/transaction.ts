/**
 * Runs work in one transaction on a connection reserved for it alone.
 *
 * postgres.js 3.4.x's `sql.begin()` can, under load, write BEGIN to a pooled connection without
 * reserving it (porsager/postgres#823, #1189): the transaction fails with UNSAFE_TRANSACTION and the
 * connection may go back to the pool inside an open transaction. Reserving the connection first and
 * sending BEGIN/COMMIT ourselves avoids that path entirely.
 */
import type { TransactionSql } from 'postgres';
import { SwitchboardError } from '../errors.ts';
import type { Sql } from './client.ts';

export async function inTransaction<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const connection = await sql.reserve();
  let open = false;
  try {
    await connection`begin`;
    open = true;
    const value = await work(connection as unknown as TransactionSql);
    const committed = await connection`commit`;
    open = false;
    // Postgres answers COMMIT with ROLLBACK when a statement failed and the work caught the error.
    if (committed.command !== 'COMMIT') throw new SwitchboardError('CONFLICT', 'the transaction was rolled back: one of its statements failed');
    return value;
  } catch (error) {
    if (open) await connection`rollback`.catch(() => {});
    throw error;
  } finally {
    connection.release();
  }
}
