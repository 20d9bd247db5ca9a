/**
 * Work read a row as this process last wrote it (a cache) and another transaction has changed it
 * since: nothing it did counts (its transaction is rolled back), and run again it reads the row
 * afresh. GroupCommit runs such work again by itself, without failing the group over to one by one.
 */
export class StaleReadError extends Error {
  readonly code = 'STALE_READ';

  constructor(message: string) {
    super(message);
    this.name = 'StaleReadError';
  }
}
