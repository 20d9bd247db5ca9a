/**
 * What one statement costs, apart from the work it does: the same small insert (a row with a 300-byte
 * JSON value, as an event or an outbox row is) sent three ways on one connection, and the CPU each
 * costs this process (postgres.js) and the Postgres backend serving it:
 * - alone: a transaction and a round trip of its own;
 * - pipelined: 100 statements in one transaction, sent without waiting for each answer (as a group
 *   commit sends its members' statements);
 * - as one row of a 100-row statement.
 *
 *   npx tsx bench/statement-cost.bench.ts
 */
import postgres from 'postgres';
import { createTestDatabase } from '../test/support/database.ts';
import { isMain, processCpuMs, round, type Figures } from './support.ts';

export async function run(options: { statements?: number } = {}): Promise<Figures> {
  const total = options.statements ?? 20_000;
  const batch = 100;
  const db = await createTestDatabase();
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await sql`create table t (id bigserial primary key, v jsonb not null)`;
    const [backend] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const value = { text: 'x'.repeat(300) };
    const ways: Record<string, () => Promise<unknown>> = {
      alone: async () => {
        for (let i = 0; i < total; i++) await sql`insert into t (v) values (${sql.json(value)})`;
      },
      pipelined: async () => {
        for (let i = 0; i < total; i += batch) await sql.begin((tx) => Array.from({ length: batch }, () => tx`insert into t (v) values (${sql.json(value)})`));
      },
      multiRow: async () => {
        for (let i = 0; i < total; i += batch) await sql`insert into t ${sql(Array.from({ length: batch }, () => ({ v: sql.json(value) })))}`;
      },
    };
    const figures: Figures = { statements: total };
    for (const [way, send] of Object.entries(ways)) {
      await send(); // warm-up: statements prepared, code compiled
      const postgresBefore = await processCpuMs(backend!.pid);
      const before = process.cpuUsage();
      const begin = performance.now();
      await send();
      const seconds = (performance.now() - begin) / 1000;
      const used = process.cpuUsage(before);
      const postgresAfter = await processCpuMs(backend!.pid);
      figures[`${way}PerSecond`] = round(total / seconds);
      figures[`${way}ProcessCpuUs`] = round((used.user + used.system) / total, 1);
      figures[`${way}PostgresCpuUs`] = postgresBefore === null || postgresAfter === null ? 'n/a' : round(((postgresAfter - postgresBefore) * 1000) / total, 1);
    }
    return figures;
  } finally {
    await sql.end();
    await db.drop();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
