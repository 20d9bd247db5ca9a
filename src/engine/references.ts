/**
 * Interaction reference numbers (what customers quote), taken from the Postgres sequence in blocks so
 * that an intake does not spend a round trip on one. Numbers stay unique across processes; a process
 * that stops leaves the rest of its block unused, as a rolled-back transaction does with a sequence.
 *
 * A block is fetched on the caller's transaction connection, never on another pooled one: a
 * transaction that waited for a second connection could wait forever once transactions hold them all.
 * A sequence hands its numbers out once whatever becomes of the transaction, so a block fetched in a
 * transaction that rolls back is still good.
 */
import type { TransactionSql } from 'postgres';

const BLOCK = 32;

export class ReferenceNumbers {
  #available: number[] = [];
  #fetching: Promise<void> | null = null;

  async next(tx: TransactionSql): Promise<number> {
    for (;;) {
      const reference = this.#available.shift();
      if (reference !== undefined) return reference;
      // One fetch at a time; whoever finds none under way fetches on its own connection.
      let fetching = this.#fetching;
      const own = fetching === null;
      if (fetching === null) {
        fetching = this.#fetch(tx).finally(() => {
          this.#fetching = null;
        });
        this.#fetching = fetching;
      }
      try {
        await fetching;
      } catch (error) {
        // Another transaction's fetch failed with it (e.g. it was rolled back): fetch on this one.
        if (own) throw error;
      }
    }
  }

  async #fetch(tx: TransactionSql): Promise<void> {
    const rows = await tx<{ reference: number }[]>`
      select nextval(pg_get_serial_sequence('interactions', 'reference'))::int as reference from generate_series(1, ${BLOCK})`;
    this.#available.push(...rows.map((row) => row.reference).sort((a, b) => a - b));
  }
}
