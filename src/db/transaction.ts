/**
 * Runs work in one transaction on a connection reserved for it alone.
 *
 * postgres.js 3.4.x's `sql.begin()` can, under load, write BEGIN to a pooled connection without
 * reserving it (porsager/postgres#823, #1189): the transaction fails with UNSAFE_TRANSACTION and the
 * connection may go back to the pool inside an open transaction. Reserving the connection first and
 * sending BEGIN/COMMIT ourselves avoids that path entirely.
 *
 * BEGIN and COMMIT cost no round trip of their own: BEGIN goes out with the work's first statement,
 * and COMMIT right behind the transaction's last write (see commitWith; the socket does not hold it
 * back, see socket.ts).
 */
import type { PendingQuery, ReservedSql, Row, TransactionSql } from 'postgres';
import { SwitchboardError } from '../errors.ts';
import type { Sql } from './client.ts';

/**
 * A transaction's last write: one statement, not sent yet, that COMMIT is handed to the driver right
 * behind, and what to make of the rows it returns.
 */
export interface FinalWrite<F> {
  statement: PendingQuery<Row[]> | null;
  /** Called once the transaction committed; it must not throw. */
  read: (rows: Row[]) => F;
}

export type CommitOutcome<F> =
  | { committed: true; finished: F }
  /** `open`: the transaction may still be open (COMMIT got no answer), so it should be rolled back. */
  | { committed: false; error: unknown; open: boolean };

/**
 * Sends the final write and COMMIT together, in that order, and waits for both answers. When the
 * write fails, Postgres answers COMMIT with ROLLBACK: the outcome is not committed, with the write's
 * error.
 */
export async function commitWith<F>(connection: ReservedSql, last: FinalWrite<F> | null): Promise<CommitOutcome<F>> {
  const writing = last?.statement ? last.statement.execute() : Promise.resolve([] as Row[]);
  const commit = connection`commit`.execute();
  const [written, committed] = await Promise.allSettled([writing, commit]);
  const open = committed.status === 'rejected';
  if (written.status === 'rejected') return { committed: false, error: written.reason, open };
  if (committed.status === 'rejected') return { committed: false, error: committed.reason, open };
  // Postgres answers COMMIT with ROLLBACK when a statement failed and the work caught the error.
  if (committed.value.command !== 'COMMIT') {
    return { committed: false, error: new SwitchboardError('CONFLICT', 'the transaction was rolled back: one of its statements failed'), open: false };
  }
  return { committed: true, finished: last ? last.read(written.value) : (undefined as F) };
}

/** Runs `work`, then its final write (sent with COMMIT; it may depend on what `work` gave), in one transaction; what each gave once it committed. */
export async function inTransaction<T, F = undefined>(
  sql: Sql,
  work: (tx: TransactionSql) => Promise<T>,
  final?: (tx: TransactionSql, value: T) => FinalWrite<F> | null,
): Promise<{ value: T; finished: F }> {
  const connection = await sql.reserve();
  const tx = connection as unknown as TransactionSql;
  let beginError: unknown = null;
  const begun = connection`begin`.execute().then(
    () => true,
    (error: unknown) => {
      beginError = error;
      return false;
    },
  );
  let open = true;
  try {
    const value = await work(tx);
    if (!(await begun)) throw beginError;
    const outcome = await commitWith(connection, final ? final(tx, value) : null);
    if (!outcome.committed) {
      open = outcome.open;
      throw outcome.error;
    }
    open = false;
    return { value, finished: outcome.finished };
  } catch (error) {
    if (open && (await begun)) await connection`rollback`.catch(() => {});
    throw error;
  } finally {
    connection.release();
  }
}
