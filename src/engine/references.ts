/**
 * Interaction reference numbers (what customers quote), taken from the Postgres sequence in blocks so
 * that an intake does not spend a round trip on one. Numbers stay unique across processes; a process
 * that stops leaves the rest of its block unused, as a rolled-back transaction does with a sequence.
 */
import type { Sql } from '../db/client.ts';

const BLOCK = 32;

export class ReferenceNumbers {
  readonly #sql: Sql;
  #available: number[] = [];
  #fetching: Promise<void> | null = null;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async next(): Promise<number> {
    for (;;) {
      const reference = this.#available.shift();
      if (reference !== undefined) return reference;
      this.#fetching ??= this.#fetch().finally(() => {
        this.#fetching = null;
      });
      await this.#fetching;
    }
  }

  async #fetch(): Promise<void> {
    // Outside any transaction: a sequence hands out numbers once, whatever becomes of the transaction.
    const rows = await this.#sql<{ reference: number }[]>`
      select nextval(pg_get_serial_sequence('interactions', 'reference'))::int as reference from generate_series(1, ${BLOCK})`;
    this.#available.push(...rows.map((row) => row.reference).sort((a, b) => a - b));
  }
}
