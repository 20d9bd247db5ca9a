/**
 * Fans users' stream events out to the event-stream connections of this process. Events live in
 * Postgres (stream_events); Redis pub/sub only says "user X has news", so a connection reads what
 * it has not sent yet, in order, from the table. Any process may serve any user.
 */
import type { Redis } from 'ioredis';
import type { Sql } from 'postgres';

export interface StreamEvent {
  id: number;
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

  constructor(options: { sql: Sql; publisher: Redis; subscriber: Redis; prefix: string }) {
    this.#sql = options.sql;
    this.#publisher = options.publisher;
    this.#subscriber = options.subscriber;
    this.#channel = `${options.prefix}:stream`;
  }

  async start(): Promise<void> {
    this.#subscriber.on('message', (_channel: string, userId: string) => {
      for (const listener of this.#listeners.get(userId) ?? []) listener();
    });
    await this.#subscriber.subscribe(this.#channel);
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

  async latestId(userId: string): Promise<number> {
    const [row] = await this.#sql<{ id: string | null }[]>`select max(id)::text as id from stream_events where user_id = ${userId}`;
    return row?.id ? Number(row.id) : 0;
  }

  async read(userId: string, afterId: number, limit = 500): Promise<StreamEvent[]> {
    const rows = await this.#sql<{ id: string; type: string; data: Record<string, unknown>; at: Date }[]>`
      select id::text, type, data, at from stream_events where user_id = ${userId} and id > ${afterId} order by id limit ${limit}`;
    return rows.map((row) => ({ id: Number(row.id), type: row.type, data: row.data, at: row.at }));
  }
}
