/** A deep queue for routing tests and benchmarks, filled in bulk in Postgres. */
import type { Sql } from '../../src/db/client.ts';

/**
 * Clones the queued interaction `id` (one taken in through the real intake) `copies` times, each with
 * its own id and reference, a priority of 0 to 19 and an age of up to `copies` seconds, then refreshes
 * the table's statistics, as a queue that grew over time would have them.
 */
export async function cloneQueued(sql: Sql, id: string, copies: number): Promise<void> {
  await sql`
    insert into interactions (id, reference, channel, state, state_path, snapshot, version, category, workgroup, skills, priority,
                              from_address, to_address, subject, created_at, updated_at, queued_at, timers)
    select gen_random_uuid(), nextval(pg_get_serial_sequence('interactions', 'reference')), channel, state, state_path, snapshot, version,
           category, workgroup, skills, (g % 20), from_address, to_address, subject, now() - (g || ' seconds')::interval, now(), now(), '{}'
    from interactions, generate_series(1, ${copies}) g where id = ${id}`;
  // Each clone's snapshot names its own id (a clone's still names the original's).
  await sql`
    update interactions set snapshot = jsonb_set(snapshot, '{context,id}', to_jsonb(id::text))
    where snapshot #>> '{context,id}' = ${id} and id <> ${id}`;
  await sql`analyze interactions`;
}
