/**
 * What Postgres alone can do of a lifecycle's writes on this machine, with no Switchboard at all: the
 * least the issue prescribes for one interaction's life (an insert, then eight transitions, each
 * appending its event, updating the snapshot with a version check and writing and removing an outbox
 * row; the agent's load taken and given back), on a schema with fewer indexes than Switchboard's and a
 * 1 KiB snapshot, run by pgbench (8 clients, prepared statements) three ways:
 * - one transaction per transition, one round trip per statement (what a transition is on its own);
 * - every transition of a lifecycle in one transaction (what sharing commits can at best save);
 * - one call of a server-side function doing all of it (no round trips: what the writes themselves cost).
 * Reports lifecycles per second and the CPU per lifecycle of Postgres and of pgbench.
 *
 *   npx tsx bench/lifecycle-floor.bench.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { adminDatabaseUrl } from '../test/support/env.ts';
import { isMain, round, type Figures } from './support.ts';

const DATABASE = 'switchboard_lifecycle_floor';
const STATES = ['acknowledged', 'categorized', 'queued', 'offered', 'active', 'active', 'wrap_up', 'closed'];

const SCHEMA = `
create table interactions (id bigint primary key, state text not null, version int not null, priority int, agent_id text, snapshot jsonb not null, created_at timestamptz default now());
create index on interactions (priority desc, created_at) where state = 'queued';
create index on interactions (agent_id) where agent_id is not null;
create table interaction_events (interaction_id bigint not null, seq int not null, type text not null, actor text, at timestamptz default now(), state text, data jsonb, primary key (interaction_id, seq));
create table outbox (id bigserial primary key, kind text, payload jsonb, available_at timestamptz default now());
create table agents (id text primary key, load int not null default 0, idle_since timestamptz);
insert into agents select 'a' || g, 0, now() from generate_series(1, 100) g;
create sequence interaction_ids;`;

/** A snapshot of about 1 KiB, as an interaction's is. */
const SNAPSHOT = JSON.stringify({ status: 'active', value: 'queued', historyValue: {}, context: Object.fromEntries(Array.from({ length: 29 }, (_, i) => [`field${i}`, 'x'.repeat(20)])) });
/** The snapshot as a value built at each execution, so that Postgres reads the JSON each time as it reads a parameter. */
const SNAPSHOT_VALUE = `('{"id": ' || :id || ', ' || '${SNAPSHOT.slice(1)}')::jsonb`;

/** The statements of one lifecycle, as transactions of statements (`:id` the interaction, `:a` its agent). */
function lifecycleStatements(): string[][] {
  const transactions: string[][] = [
    [
      `insert into interactions (id, state, version, priority, snapshot) values (:id, 'received', 1, 0, ${SNAPSHOT_VALUE});`,
      `insert into interaction_events (interaction_id, seq, type, actor, state, data) values (:id, 1, 'RECEIVED', 'x', 'received', '{"a":1}');`,
      `insert into outbox (kind, payload) values ('route', '{"id":1}') returning id \\gset o`,
      `delete from outbox where id = :oid;`,
    ],
  ];
  STATES.forEach((state, i) => {
    const version = i + 2;
    const statements = [
      `update interactions set state = '${state}', version = ${version}, snapshot = ${SNAPSHOT_VALUE}, agent_id = ${version >= 5 ? `'a' || :a` : 'null'} where id = :id and version = ${version - 1};`,
      `insert into interaction_events (interaction_id, seq, type, actor, state, data) values (:id, ${version}, 'EV', 'x', '${state}', '{"a":1}');`,
      `insert into outbox (kind, payload) values ('x', '{"id":1}') returning id \\gset o`,
      `delete from outbox where id = :oid;`,
    ];
    if (state === 'offered') statements.push(`update agents set load = load + 1, idle_since = now() where id = 'a' || :a;`);
    if (state === 'closed') statements.push(`update agents set load = load - 1 where id = 'a' || :a;`);
    transactions.push(statements);
  });
  return transactions;
}

function scripts(): Record<string, string> {
  const head = [`\\set a random(1, 100)`, `select nextval('interaction_ids') as id \\gset`];
  const transactions = lifecycleStatements();
  const perTransition = [...head, ...transactions.flatMap((statements) => ['begin;', ...statements, 'commit;'])];
  const oneTransaction = [...head, 'begin;', ...transactions.flat(), 'commit;'];
  return { perTransition: perTransition.join('\n'), oneTransaction: oneTransaction.join('\n'), serverSide: `\\set a random(1, 100)\nselect lifecycle('a' || :a);` };
}

/** The same statements as a PL/pgSQL function (variables for pgbench's `:id`, `:a` and `\gset`). */
function serverSideFunction(): string {
  const body = lifecycleStatements()
    .flat()
    .map((statement) => statement.replace(/returning id \\gset o$/, 'returning outbox.id into oid;').replaceAll(':oid', 'oid').replaceAll(':id', 'iid').replaceAll(':a', 'agent'))
    .map((statement) => statement.replace('where id = iid', 'where interactions.id = iid').replace('where id = oid', 'where outbox.id = oid').replace(`where id = 'a'`, `where agents.id = 'a'`))
    .join('\n');
  return `create function lifecycle(agent text) returns void language plpgsql as $$
declare iid bigint := nextval('interaction_ids'); oid bigint;
begin
${body.replaceAll(`'a' || agent`, 'agent')}
end $$;`;
}

/** CPU milliseconds of the children a process has waited for (Linux /proc; null elsewhere). */
function childrenCpuMs(pid: number | 'self'): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

function postmasterPid(dataDirectory: string): number | null {
  try {
    return Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

export async function run(options: { seconds?: number } = {}): Promise<Figures> {
  const seconds = options.seconds ?? 10;
  const url = new URL(adminDatabaseUrl());
  const connection = ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres')];
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  const [{ directory } = { directory: '' }] = await admin<{ directory: string }[]>`select current_setting('data_directory') as directory`;
  await admin.unsafe(`drop database if exists ${DATABASE}`);
  await admin.unsafe(`create database ${DATABASE}`);
  const dir = mkdtempSync(join(tmpdir(), 'lifecycle-floor-'));
  // Postgres's backends end with pgbench's connections; the postmaster's children's times then hold them.
  const postmaster = postmasterPid(directory);
  const figures: Figures = {};
  try {
    const floor = postgres(Object.assign(new URL(adminDatabaseUrl()), { pathname: `/${DATABASE}` }).toString(), { max: 1, onnotice: () => {} });
    await floor.unsafe(SCHEMA);
    await floor.unsafe(serverSideFunction());
    await floor.end();
    for (const [way, script] of Object.entries(scripts())) {
      const file = join(dir, `${way}.sql`);
      writeFileSync(file, `${script}\n`);
      const postgresBefore = postmaster === null ? null : childrenCpuMs(postmaster);
      const pgbenchBefore = childrenCpuMs('self');
      const output = execFileSync('pgbench', [...connection, '-n', '-M', 'prepared', '-c', '8', '-j', '2', '-T', String(seconds), '-f', file, DATABASE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      // A backend's time reaches the postmaster once it has exited and been reaped.
      while ((await admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = ${DATABASE}`)[0]?.n) await sleep(20);
      await sleep(200);
      const postgresAfter = postmaster === null ? null : childrenCpuMs(postmaster);
      const pgbenchAfter = childrenCpuMs('self');
      const lifecycles = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? NaN);
      const per = (before: number | null, after: number | null) => (before === null || after === null ? 'n/a' : round((after - before) / lifecycles, 3));
      figures[`${way}LifecyclesPerSecond`] = round(Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? NaN));
      figures[`${way}PostgresCpuMsPerLifecycle`] = per(postgresBefore, postgresAfter);
      figures[`${way}PgbenchCpuMsPerLifecycle`] = per(pgbenchBefore, pgbenchAfter);
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin.unsafe(`drop database if exists ${DATABASE}`);
    await admin.end();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
