/**
 * Fans users' stream events out to the event-stream connections of this process. Events live in
 * Postgres (stream_events); Redis pub/sub only says "user X has news", so a connection reads what
 * it has not sent yet, in order, from the table. Any process may serve any user.
 *
 * Order: an event's id is taken when its row is written, so two transactions writing to one stream
 * (an agent's, the supervisors') may commit in the other order than their ids. A stream is therefore
 * read in the order of the transactions that wrote it, and only up to the oldest transaction still
 * running (from the read's own snapshot): what is read then can no longer be overtaken by an event
 * that commits later. A connection reads again shortly while events wait.
 *
 * Every transaction of the cluster counts, Switchboard's or not, and Switchboard's own last
 * milliseconds. So that a long one (a batch job, a session left idle in a transaction) cannot hold
 * every stream back for as long as it runs, a transaction seen running for longer than
 * `staleTransactionMs` is no longer waited for; should it write to a stream after all, events it
 * commits behind ones already sent are not sent live (they stay in the stream's history).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Sql } from 'postgres';

export interface StreamEvent {
  id: number;
  /** The transaction that wrote it (see StreamCursor). */
  tx: string;
  type: string;
  data: Record<string, unknown>;
  at: Date;
}

type Listener = () => void;

export class StreamHub {
  readonly #sql: Sql;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #logger: Logger | undefined;
  readonly #staleTransactionMs: number;
  /** Transactions seen running by a read: since when, and whether the log said they are no longer waited for (see staleTransactionMs). */
  readonly #running = new Map<string, { since: number; stale: boolean }>();

  constructor(options: { sql: Sql; publisher: Redis; subscriber: Redis; prefix: string; logger?: Logger; staleTransactionMs?: number | undefined }) {
    this.#sql = options.sql;
    this.#publisher = options.publisher;
    this.#subscriber = options.subscriber;
    this.#channel = `${options.prefix}:stream`;
    this.#logger = options.logger;
    this.#staleTransactionMs = options.staleTransactionMs ?? 5_000;
  }

  async start(): Promise<void> {
    this.#subscriber.on('message', (_channel: string, userId: string) => {
      for (const listener of this.#listeners.get(userId) ?? []) listener();
    });
    // Pub/sub keeps nothing for a subscriber that is away: after a reconnection, once the channel is
    // subscribed again (the reply to this SUBSCRIBE comes after the client's own resubscription),
    // every connection reads what it may have missed meanwhile.
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(this.#channel).then(
        () => this.#wakeAll(),
        () => {},
      );
    });
    await this.#subscriber.subscribe(this.#channel);
  }

  /** Has every connection of this process read its stream again. */
  #wakeAll(): void {
    for (const listeners of this.#listeners.values()) for (const listener of listeners) listener();
  }

  async stop(): Promise<void> {
    await this.#subscriber.unsubscribe(this.#channel).catch(() => {});
  }

  async notify(userId: string): Promise<void> {
    await this.#publisher.publish(this.#channel, userId);
  }

  subscribe(userId: string, listener: Listener): () => void {
    let set = this.#listeners.get(userId);
    if (!set) this.#listeners.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(userId);
    };
  }

  /**
   * Where a new connection starts: after the last event no running transaction can come before. An
   * event committed before it connected but not yet readable (see read) is sent to it, never skipped.
   */
  async latestCursor(userId: string): Promise<StreamCursor> {
    const [row] = await this.#sql<{ tx: string; id: string }[]>`
      with ${this.#horizon()}
      select e.tx::text, e.id::text from stream_events e, horizon
      where e.user_id = ${userId} and e.tx < horizon.tx
      order by e.tx desc, e.id desc limit 1`;
    return row ? { tx: row.tx, id: Number(row.id), afterId: 0 } : START;
  }

  /** The cursor just after event `eventId` of the user's stream (a client's Last-Event-ID). */
  async cursorAfter(userId: string, eventId: number): Promise<StreamCursor> {
    const [row] = await this.#sql<{ tx: string }[]>`select tx::text from stream_events where id = ${eventId} and user_id = ${userId}`;
    // An event no longer kept (older than the retention) or never written: what came after its id.
    return row ? { tx: row.tx, id: eventId, afterId: 0 } : { ...START, afterId: eventId };
  }

  /**
   * The user's events after `cursor`, in the order their transactions began, as far as no running
   * transaction can come before them: an event with a smaller id that has not committed yet can no
   * longer come after one that was read. `heldBack` says that committed events wait for a running
   * transaction (read again shortly: no notification comes for them when it ends).
   */
  async read(userId: string, cursor: StreamCursor, limit = 500): Promise<StreamBatch> {
    const rows = await this.#sql<
      { id: string; tx: string; type: string; data: Record<string, unknown>; at: Date; held: boolean; running: string[] | null }[]
    >`
      with ${this.#horizon()}
      select e.id::text, e.tx::text, e.type, e.data, e.at, e.tx >= horizon.tx as held,
             case when e.tx >= horizon.tx then horizon.running end as running
      from stream_events e, horizon
      where e.user_id = ${userId} and (e.tx, e.id) > (${cursor.tx}::xid8, ${cursor.id}::bigint) and e.id > ${cursor.afterId}::bigint
      order by e.tx, e.id limit ${limit}`;
    // Ordered by transaction, the rows that must wait come after all those that may be sent.
    const firstHeld = rows.findIndex((row) => row.held);
    if (firstHeld >= 0) this.#sawRunning(rows[firstHeld]?.running ?? []);
    const sendable = firstHeld < 0 ? rows : rows.slice(0, firstHeld);
    const events = sendable.map((row) => ({ id: Number(row.id), tx: row.tx, type: row.type, data: row.data, at: row.at }));
    return { events, heldBack: firstHeld >= 0, more: firstHeld < 0 && rows.length === limit };
  }

  /**
   * The CTE `horizon`, from the statement's own snapshot: `tx`, the oldest transaction still running
   * that is not stale (or, when there is none, the first not started yet), and `running`, the
   * transactions running (sent only with the rows that must wait, the one case that needs them).
   */
  #horizon() {
    const stale = [...this.#running].filter(([, seen]) => seen.stale).map(([xid]) => xid);
    return this.#sql`
      snapshot as materialized (select pg_current_snapshot() as s),
      horizon as (
        select coalesce(
                 (select min(x) from snapshot, pg_snapshot_xip(s) x where not (x = any(${stale}::xid8[]))),
                 (select pg_snapshot_xmax(s) from snapshot)) as tx,
               (select coalesce(array_agg(x::text), '{}') from snapshot, pg_snapshot_xip(s) x) as running
      )`;
  }

  /** Notes the transactions a read saw running (those running too long become stale), and forgets those that have ended. */
  #sawRunning(running: string[]): void {
    const now = Date.now();
    const current = new Set(running);
    for (const xid of this.#running.keys()) if (!current.has(xid)) this.#running.delete(xid);
    for (const xid of running) {
      const seen = this.#running.get(xid);
      if (seen === undefined) this.#running.set(xid, { since: now, stale: false });
      else if (!seen.stale && now - seen.since > this.#staleTransactionMs) {
        seen.stale = true;
        this.#logger?.warn({ xid, runningForMs: now - seen.since }, 'a long-running transaction no longer holds event streams back');
      }
    }
  }
}

/** A position in a user's stream: after the event (tx, id); `afterId` also skips ids up to it (a resumed id no longer kept). */
export interface StreamCursor {
  tx: string;
  id: number;
  afterId: number;
}

const START: StreamCursor = { tx: '0', id: 0, afterId: 0 };

export interface StreamBatch {
  events: StreamEvent[];
  /** Committed events wait for an older transaction to end. */
  heldBack: boolean;
  /** The batch is full: more may be readable now. */
  more: boolean;
}
