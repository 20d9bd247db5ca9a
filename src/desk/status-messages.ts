/** Status messages users show (Available, Away, Meeting, ...): one of the configured ones, or none. */
import type { Sql } from 'postgres';
import type { Config } from '../config/schema.ts';
import type { Engine } from '../engine/engine.ts';
import { SwitchboardError } from '../errors.ts';
import { noteDeskChange } from './desk-outbox.ts';

export async function setStatusMessage(engine: Engine, userId: string, message: string | null): Promise<{ message: string | null; since: string | null }> {
  const config: Config = engine.config.current();
  if (message !== null && !config.statusMessages.includes(message)) {
    throw new SwitchboardError('UNKNOWN_STATUS_MESSAGE', `unknown status message "${message}"`, { allowed: config.statusMessages });
  }
  return engine.transaction(async (tx, outbox, now) => {
    if (message === null) {
      await tx`delete from desk_status_messages where user_id = ${userId}`;
    } else {
      await tx`
        insert into desk_status_messages (user_id, message, since) values (${userId}, ${message}, ${now})
        on conflict (user_id) do update set message = excluded.message, since = excluded.since`;
    }
    noteDeskChange(outbox, [], [userId]);
    return { message, since: message === null ? null : now.toISOString() };
  });
}

export async function statusMessageOf(sql: Sql, userId: string): Promise<{ message: string; since: string } | null> {
  const [row] = await sql<{ message: string; since: Date }[]>`select message, since from desk_status_messages where user_id = ${userId}`;
  return row ? { message: row.message, since: row.since.toISOString() } : null;
}
