/**
 * Stream events are kept for the configured time (retention.streamEvents), then deleted, oldest first,
 * in batches that walk the primary key (ids grow with time), so pruning never scans the table or holds
 * many locks at once. A stream resumed from an id older than that starts from what is left.
 */
import type { Sql } from '../db/client.ts';

const BATCH = 5_000;

/** Deletes stream events written before `before`; returns how many. */
export async function pruneStreamEvents(sql: Sql, before: Date, batch = BATCH): Promise<number> {
  let deleted = 0;
  for (;;) {
    const rows = await sql`
      delete from stream_events where id in (select id from stream_events order by id limit ${batch}) and at < ${before}
      returning id`;
    deleted += rows.length;
    if (rows.length < batch) return deleted;
  }
}
