/** Starts a real Switchboard (real Postgres database of its own, real Redis with its own key prefix) for a test. */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load-config.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startSwitchboard, type Switchboard, type SwitchboardOptions } from '../../src/switchboard.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { redisUrl } from './env.ts';

export interface TestSwitchboard extends Switchboard {
  url: string;
  db: TestDatabase;
  prefix: string;
  /** Starts another process-equivalent on the same database and Redis prefix. */
  another(options?: Partial<SwitchboardOptions>): Promise<Switchboard>;
  stop(): Promise<void>;
}

/** How many outbox rows wait to be dispatched (tests poll it until a switchboard's relay has drained them). */
export async function outboxSize(switchboard: Pick<Switchboard, 'database'>): Promise<number> {
  const [row] = await switchboard.database.sql<{ n: number }[]>`select count(*)::int as n from outbox`;
  return row?.n ?? 0;
}

/** `connectVia` rewrites the test database's URL the Switchboard connects to (e.g. through a proxy). */
export async function startTestSwitchboard(
  config: ConfigInput,
  { connectVia, ...options }: Partial<SwitchboardOptions> & { connectVia?: (url: string) => string } = {},
): Promise<TestSwitchboard> {
  const db = await createTestDatabase();
  const prefix = `sbt-${randomBytes(4).toString('hex')}`;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const base: SwitchboardOptions = {
    databaseUrl: connectVia ? connectVia(db.url) : db.url,
    redisUrl: redisUrl(),
    config: parseConfig(config),
    logger,
    queuePrefix: prefix,
    relayPollMs: 200,
    ...options,
  };
  const switchboard = await startSwitchboard(base);
  const others: Switchboard[] = [];
  return {
    ...switchboard,
    url: switchboard.url ?? '',
    db,
    prefix,
    async another(more = {}) {
      const other = await startSwitchboard({ ...base, ...more });
      others.push(other);
      return other;
    },
    async stop() {
      await Promise.all(others.map((other) => other.close()));
      await switchboard.close();
      await db.drop();
    },
  };
}
