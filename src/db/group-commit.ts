/**
 * Group commit: transactions requested while others are being committed share one Postgres
 * transaction. Their statements are pipelined on one connection and they commit together, so a busy
 * process pays one BEGIN, one COMMIT and one WAL flush for many changes instead of one each.
 *
 * A member of a group is the same work a transaction of its own would run, and the group keeps the
 * guarantees of one transaction per work:
 * - all or nothing: when any member fails (its own error, a conflict, a deadlock, a wait for a row
 *   lock longer than `lockTimeoutMs`, a refused COMMIT), the group is rolled back and every member
 *   runs again in a transaction of its own, where it succeeds or fails alone;
 * - isolation: members that name the same key (an interaction, an agent, a conversation) are never in
 *   one group and never in two groups at once, because locks taken in one transaction do not exclude
 *   each other. Work that does not name its keys is still safe: the row versions it checks turn an
 *   overlap into a conflict, which sends the group to the one-by-one path.
 *
 * While it is quiet, a request runs at once in a transaction of its own, so a calm process adds no
 * latency; requests that queue up behind others go together. A transaction of its own that Postgres
 * aborts to break a deadlock runs again (twice at most).
 */
import type { ReservedSql, TransactionSql } from 'postgres';
import type { Sql } from './client.ts';
import { StaleReadError } from './stale-read.ts';
import { commitWith, inTransaction, type FinalWrite } from './transaction.ts';

export type Work<T> = (tx: TransactionSql) => Promise<T>;

export interface GroupCommitOptions<Note, Written> {
  sql: Sql;
  /**
   * Runs once per transaction, after its members' work, with what each member noted: the
   * transaction's last write (e.g. the outbox entries of the whole group, in one statement), which
   * COMMIT follows without waiting for its answer (see commitWith).
   */
  beforeCommit?: (tx: TransactionSql, notes: Note[]) => FinalWrite<Written>;
  /** Runs after a successful COMMIT with what `beforeCommit` returned (e.g. dispatch what was written). */
  afterCommit?: (written: Written) => void;
  /** Most members in one group (default 64). */
  maxGroup?: number;
  /**
   * Transactions committing at once in this process (default 2: one that Postgres works on while this
   * process prepares the next; more only make smaller groups, each paying its own commit and round
   * trips, which costs more CPU per change and lengthens the queue on a busy machine). While it is
   * quiet, lone requests run side by side at once. Once requests queue up, a new group starts when the
   * newest running one has run for `stallMs`, so that requests gather into groups instead of each
   * starting its own. Groups do not wait for each other:
   * their members' keys are apart, and what a member finds by looking (the router's agents and
   * interactions) passes over what the others hold (`keysHeldElsewhere`, `SKIP LOCKED`).
   */
  concurrency?: number;
  /** How long the newest group runs before another may start beside it (default 10 ms). */
  stallMs?: number;
  /**
   * How long a group waits for a row lock before it gives up and its members run one by one (default
   * 250 ms). A group holds the locks of all its members, so waiting long would hold up all of them and
   * whoever waits for them; a member alone waits as long as it takes.
   */
  lockTimeoutMs?: number;
}

export interface GroupCommitStats {
  groups: number;
  members: number;
  /** Groups that failed and ran their members one by one. */
  fallbacks: number;
}

const DEADLOCK_DETECTED = '40P01';
/** A group that failed only because members read stale copies (see #together). */
const STALE = Symbol('stale');
const DEADLOCK_ATTEMPTS = 3;

/** What a transaction holds: the keys of its group (its members', and those claimed on the way), and the claims of each member. */
interface Holding {
  /** Keys held by this process's running transactions, with how many hold each (the GroupCommit's). */
  held: Map<string, number>;
  /** The keys this transaction's group holds. */
  own: Set<string>;
  /** In a group of several, which member claimed which key (members are told apart by their own handle on the connection). */
  claims: Map<string, object> | null;
  /** In a group of several, which member routes which key (see routesKey). */
  routing: Map<string, object> | null;
}

const holdingOf = new WeakMap<object, Holding>();

/**
 * Claims `key` for the work holding `tx` until its transaction ends: false when another member of the
 * same group holds it (row locks cannot tell them apart, since they share a transaction). Work that
 * finds its candidates by looking (the router) skips what it cannot claim; alone, every claim succeeds.
 */
export function claimKey(tx: TransactionSql, key: string): boolean {
  const holding = holdingOf.get(tx);
  const claims = holding?.claims;
  if (!holding || !claims) return true;
  const holder = claims.get(key);
  if (holder === undefined) {
    claims.set(key, tx);
    holdKey(tx, key);
  }
  return holder === undefined || holder === tx;
}

/**
 * The keys starting with `prefix` (without it) that other transactions of this process hold now.
 * Work that picks rows by looking (the router choosing an agent) passes over them: those rows are
 * locked, or about to be, by a transaction that may in turn wait for what this one locks.
 */
export function keysHeldElsewhere(tx: TransactionSql, prefix: string): string[] {
  const holding = holdingOf.get(tx);
  if (!holding) return [];
  const keys: string[] = [];
  for (const key of holding.held.keys()) if (key.startsWith(prefix) && !holding.own.has(key)) keys.push(key.slice(prefix.length));
  return keys;
}

/**
 * Notes that the work holding `tx` routes what `key` names: before its transaction ends it offers it,
 * or asks for it to be routed again. Work in the same group that passes over the key because that
 * member claimed it then knows it is taken care of (routedByAnother).
 */
export function routesKey(tx: TransactionSql, key: string): void {
  holdingOf.get(tx)?.routing?.set(key, tx);
}

/** Whether another member of `tx`'s group routes what `key` names (see routesKey). */
export function routedByAnother(tx: TransactionSql, key: string): boolean {
  const holder = holdingOf.get(tx)?.routing?.get(key);
  return holder !== undefined && holder !== tx;
}

/** Holds `key` for `tx`'s transaction until it ends, as if a member had named it (see keysHeldElsewhere). */
export function holdKey(tx: TransactionSql, key: string): void {
  const holding = holdingOf.get(tx);
  if (!holding || holding.own.has(key)) return;
  holding.own.add(key);
  holding.held.set(key, (holding.held.get(key) ?? 0) + 1);
}

interface Pending<Note> {
  work: Work<unknown>;
  keys: readonly string[];
  note: Note;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<Note = undefined, Written = void> {
  readonly #sql: Sql;
  readonly #beforeCommit: ((tx: TransactionSql, notes: Note[]) => FinalWrite<Written>) | undefined;
  readonly #afterCommit: ((written: Written) => void) | undefined;
  readonly #maxGroup: number;
  readonly #concurrency: number;
  readonly #waiting: Pending<Note>[] = [];
  /** Keys held by groups being committed. */
  readonly #held = new Map<string, number>();
  #running = 0;
  /** Of those running, how many have several members. */
  #runningGroups = 0;
  /** When the newest running group started. */
  #newestStart = 0;
  #stallTimer: NodeJS.Timeout | null = null;
  readonly #stallMs: number;
  readonly #lockTimeoutMs: number;
  readonly stats: GroupCommitStats = { groups: 0, members: 0, fallbacks: 0 };

  constructor(options: GroupCommitOptions<Note, Written>) {
    this.#sql = options.sql;
    this.#beforeCommit = options.beforeCommit;
    this.#afterCommit = options.afterCommit;
    this.#maxGroup = options.maxGroup ?? 64;
    this.#concurrency = options.concurrency ?? 2;
    this.#stallMs = options.stallMs ?? 10;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 250;
  }

  /**
   * Runs `work` in a transaction, alone or in a group; resolves once it has committed. `note` goes to
   * `beforeCommit` with the transaction's other members' notes (the work may fill it in).
   */
  run<T>(work: Work<T>, keys: readonly string[], note: Note): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ work, keys, note, resolve: resolve as (value: unknown) => void, reject });
      this.#pump();
    });
  }

  /**
   * Runs `work` in a transaction of its own at once, beside the groups and outside their turns: for
   * work that takes long and names no keys (a supervisor's snapshot reads a whole workgroup), which in
   * a group would hold up every member, and alone in one of the `concurrency` places would hold up
   * every transaction waiting for one. It changes nothing another transaction names.
   */
  runApart<T>(work: Work<T>, note: Note): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const own = new Set<string>();
      void this.#alone({ work, keys: [], note, resolve: resolve as (value: unknown) => void, reject }, own).then((settle) => {
        // What it came to hold on the way (holdKey) is free again once it has ended.
        this.#release(own);
        settle();
      });
    });
  }

  /** Lets go of the keys a transaction held. */
  #release(own: Set<string>): void {
    for (const key of own) {
      const count = (this.#held.get(key) ?? 1) - 1;
      if (count === 0) this.#held.delete(key);
      else this.#held.set(key, count);
    }
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#waiting.length > 0) {
      // While it is quiet (a lone request, beside lone transactions only), a request goes at once, as
      // it would without group commit; once requests queue up, they wait and go together.
      const quiet = this.#waiting.length === 1 && this.#runningGroups === 0;
      if (this.#running > 0 && !quiet) {
        const stalledIn = this.#newestStart + this.#stallMs - performance.now();
        if (stalledIn > 0) {
          if (this.#stallTimer === null) {
            this.#stallTimer = setTimeout(() => {
              this.#stallTimer = null;
              this.#pump();
            }, Math.ceil(stalledIn));
          }
          return;
        }
      }
      const group = this.#take();
      if (group.length === 0) return;
      this.#running += 1;
      const grouped = group.length > 1;
      if (grouped) this.#runningGroups += 1;
      this.#newestStart = performance.now();
      const own = new Set<string>();
      for (const member of group) {
        for (const key of member.keys) {
          own.add(key);
          this.#held.set(key, (this.#held.get(key) ?? 0) + 1);
        }
      }
      // Its members learn their outcome once its keys are released: what they do next finds them free
      // (members of a failed group run again alone, and learn theirs as each ends).
      void this.#commit(group, own).then((settle) => {
        this.#release(own);
        this.#running -= 1;
        if (grouped) this.#runningGroups -= 1;
        for (const done of settle) done();
        this.#pump();
      });
    }
  }

  /** The waiting members that can go together, in arrival order; the others keep their places. */
  #take(): Pending<Note>[] {
    const group: Pending<Note>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.#waiting.length && group.length < this.#maxGroup; ) {
      const member = this.#waiting[i]!;
      if (member.keys.some((key) => keys.has(key) || this.#held.has(key))) {
        i += 1;
        continue;
      }
      for (const key of member.keys) keys.add(key);
      group.push(member);
      this.#waiting.splice(i, 1);
    }
    return group;
  }

  /** Commits the group; what settles each member's promise. */
  async #commit(group: Pending<Note>[], own: Set<string>): Promise<(() => void)[]> {
    this.stats.groups += 1;
    this.stats.members += group.length;
    if (group.length === 1) return [await this.#alone(group[0]!, own)];
    let outcome = await this.#together(group, own);
    // Members that read a stale copy (StaleReadError) now read afresh: the group goes again as it was.
    if (outcome === STALE) outcome = await this.#together(group, own);
    if (outcome !== null && outcome !== STALE) {
      this.#committed(outcome.written);
      return group.map((member, i) => () => member.resolve(outcome.values[i]));
    }
    this.stats.fallbacks += 1;
    // Each learns its own outcome as soon as it has it: one waiting long holds up none of the others.
    await Promise.all(group.map(async (member) => (await this.#alone(member, own))()));
    return [];
  }

  /** Runs one member in a transaction of its own; what settles its promise. */
  async #alone(member: Pending<Note>, own: Set<string>): Promise<() => void> {
    let outcome: { value: unknown; finished: Written | undefined };
    for (let attempt = 1; ; attempt++) {
      try {
        outcome = await inTransaction(
          this.#sql,
          (connection) => {
            const tx = new Proxy(connection, {});
            holdingOf.set(tx, { held: this.#held, own, claims: null, routing: null });
            return member.work(tx);
          },
          (tx) => this.#beforeCommit?.(tx, [member.note]) ?? null,
        );
        break;
      } catch (error) {
        // Postgres chose this transaction to break a deadlock, or the work read a stale copy: it
        // changed nothing, so it runs again.
        if (attempt < DEADLOCK_ATTEMPTS && ((error as { code?: string }).code === DEADLOCK_DETECTED || error instanceof StaleReadError)) continue;
        return () => member.reject(error);
      }
    }
    this.#committed(outcome.finished);
    return () => member.resolve(outcome.value);
  }

  #committed(written: Written | undefined): void {
    if (this.#afterCommit && written !== undefined) this.#afterCommit(written);
  }

  /**
   * Runs the members in one transaction; their values when it committed, null when it did not, STALE
   * when it did not because members read stale copies (and nothing else failed).
   */
  async #together(group: Pending<Note>[], own: Set<string>): Promise<{ values: unknown[]; written: Written | undefined } | typeof STALE | null> {
    let connection: ReservedSql;
    try {
      connection = await this.#sql.reserve();
    } catch {
      return null;
    }
    const tx = connection as unknown as TransactionSql;
    let open = false;
    try {
      // BEGIN goes out with the members' first statements, not a round trip ahead of them.
      const begin = connection`begin`.execute();
      const bounded = connection`select set_config('lock_timeout', ${`${this.#lockTimeoutMs}ms`}, true)`.execute();
      const claims = new Map<string, object>();
      const routing = new Map<string, object>();
      const settled = await Promise.allSettled(
        group.map((member) => {
          // Each member gets its own handle on the shared connection, so its claims are its own.
          const handle = new Proxy(tx, {});
          holdingOf.set(handle, { held: this.#held, own, claims, routing });
          for (const key of member.keys) claims.set(key, handle);
          return member.work(handle);
        }),
      );
      await begin;
      open = true;
      await bounded;
      const failed = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      if (failed.length > 0) return failed.every((error) => error instanceof StaleReadError) ? STALE : null;
      const outcome = await commitWith(connection, this.#beforeCommit?.(tx, group.map((member) => member.note)) ?? null);
      open = !outcome.committed && outcome.open;
      // Also when a member failed inside and caught the error: Postgres then answers COMMIT with ROLLBACK.
      if (!outcome.committed) return null;
      return { values: settled.map((settledWork) => (settledWork as PromiseFulfilledResult<unknown>).value), written: outcome.finished };
    } catch {
      return null;
    } finally {
      if (open) await connection`rollback`.catch(() => {});
      connection.release();
    }
  }
}
