/**
 * What Postgres alone can do of a lifecycle's writes on this machine, with no Switchboard at all: the
 * least the issue prescribes for one interaction's life (an insert, then eight transitions, each
 * appending its event, updating the snapshot with a version check and writing and removing an outbox
 * row; the agent's load taken and given back), on a schema with fewer indexes than Switchboard's and a
 * 1 KiB snapshot, run by pgbench (8 clients, prepared statements) four ways:
 * - one transaction per transition, one round trip per statement (what a transition is on its own);
 * - every transition of a lifecycle in one transaction (what sharing commits can at best save);
 * - 16 lifecycles in one transaction, their statements pipelined (as a commit group takes transitions:
 *   one commit and one wait for all of them);
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
import { isMain, postgresClientArgs, processCpuMs, round, type Figures } from './support.ts';

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

/** How the statements name the interaction and its agent, and write and remove an outbox row: in a pgbench script, or in PL/pgSQL. */
interface Dialect {
  id: string;
  agent: string;
  /** The statements that write an outbox row and remove it (the `n`th of the lifecycle). */
  outbox: (kind: string, n: number) => string[];
}

const PGBENCH: Dialect = {
  id: ':id',
  agent: `'a' || :a`,
  outbox: (kind) => [`insert into outbox (kind, payload) values ('${kind}', '{"id":1}') returning id \\gset o`, 'delete from outbox where outbox.id = :oid;'],
};
const PLPGSQL: Dialect = {
  id: 'iid',
  agent: 'agent',
  outbox: (kind) => [`insert into outbox (kind, payload) values ('${kind}', '{"id":1}') returning outbox.id into oid;`, 'delete from outbox where outbox.id = oid;'],
};

/** Lifecycles in one transaction of the grouped way, as a busy process's commit groups take transitions together. */
const GROUP = 16;

/** Outbox rows one lifecycle may write in the grouped way (it writes 9), so that their ids are its own. */
const OUTBOX_SLOTS = 32;

/**
 * The `k`th lifecycle of a grouped transaction: nothing waits for an answer (pipelined), so the
 * interaction's and its outbox rows' ids are named in advance, negative so that they never meet the
 * sequences' (the other ways', whatever their counts), and each pgbench client keeps to agents of its
 * own, as a process's groups keep to agents no other group holds.
 */
function groupedDialect(k: number): Dialect {
  const nth = `(:id * ${GROUP} + ${k})`;
  return {
    id: `-(${nth} + 1)`,
    agent: `'a' || (:client_id % 8 * 12 + ${k % 12} + 1)`,
    outbox: (kind, n) => {
      if (n >= OUTBOX_SLOTS) throw new Error(`a lifecycle writes more than ${OUTBOX_SLOTS} outbox rows`);
      const id = `-(${nth} * ${OUTBOX_SLOTS} + ${n} + 1)`;
      return [`insert into outbox (id, kind, payload) values (${id}, '${kind}', '{"id":1}');`, `delete from outbox where outbox.id = ${id};`];
    },
  };
}

/** The statements of one lifecycle, as transactions of statements. */
function lifecycleStatements(d: Dialect): string[][] {
  // Built at each execution, so that Postgres reads the JSON each time, as it reads a parameter.
  const snapshot = `('{"id": ' || ${d.id} || ', ' || '${SNAPSHOT.slice(1)}')::jsonb`;
  let written = 0;
  const outbox = (kind: string) => d.outbox(kind, written++);
  const transactions: string[][] = [
    [
      `insert into interactions (id, state, version, priority, snapshot) values (${d.id}, 'received', 1, 0, ${snapshot});`,
      `insert into interaction_events (interaction_id, seq, type, actor, state, data) values (${d.id}, 1, 'RECEIVED', 'x', 'received', '{"a":1}');`,
      ...outbox('route'),
    ],
  ];
  STATES.forEach((state, i) => {
    const version = i + 2;
    const statements = [
      `update interactions set state = '${state}', version = ${version}, snapshot = ${snapshot}, agent_id = ${version >= 5 ? d.agent : 'null'} where interactions.id = ${d.id} and version = ${version - 1};`,
      `insert into interaction_events (interaction_id, seq, type, actor, state, data) values (${d.id}, ${version}, 'EV', 'x', '${state}', '{"a":1}');`,
      ...outbox('x'),
    ];
    if (state === 'offered') statements.push(`update agents set load = load + 1, idle_since = now() where agents.id = ${d.agent};`);
    if (state === 'closed') statements.push(`update agents set load = load - 1 where agents.id = ${d.agent};`);
    transactions.push(statements);
  });
  return transactions;
}

function scripts(): Record<string, string> {
  const head = [`\\set a random(1, 100)`, `select nextval('interaction_ids') as id \\gset`];
  const transactions = lifecycleStatements(PGBENCH);
  const perTransition = [...head, ...transactions.flatMap((statements) => ['begin;', ...statements, 'commit;'])];
  const oneTransaction = [...head, 'begin;', ...transactions.flat(), 'commit;'];
  // GROUP lifecycles to a transaction, pipelined: one commit and one wait for answers for all of them.
  const grouped = [
    `select nextval('interaction_ids') as id \\gset`,
    '\\startpipeline',
    'begin;',
    ...Array.from({ length: GROUP }, (_, k) => lifecycleStatements(groupedDialect(k)).flat()).flat(),
    'commit;',
    '\\endpipeline',
  ];
  return {
    perTransition: perTransition.join('\n'),
    oneTransaction: oneTransaction.join('\n'),
    grouped: grouped.join('\n'),
    serverSide: `\\set a random(1, 100)\nselect lifecycle('a' || :a);`,
  };
}

/** The same statements as one PL/pgSQL function. */
function serverSideFunction(): string {
  return `create function lifecycle(agent text) returns void language plpgsql as $$
declare iid bigint := nextval('interaction_ids'); oid bigint;
begin
${lifecycleStatements(PLPGSQL).flat().join('\n')}
end $$;`;
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
  const connection = postgresClientArgs();
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
      const postgresBefore = postmaster === null ? null : await processCpuMs(postmaster, 'children');
      const pgbenchBefore = await processCpuMs('self', 'children');
      const output = execFileSync('pgbench', [...connection, '-n', '-M', 'prepared', '-c', '8', '-j', '2', '-T', String(seconds), '-f', file, DATABASE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      // A backend's time reaches the postmaster once it has exited and been reaped.
      while ((await admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = ${DATABASE}`)[0]?.n) await sleep(20);
      await sleep(200);
      const postgresAfter = postmaster === null ? null : await processCpuMs(postmaster, 'children');
      const pgbenchAfter = await processCpuMs('self', 'children');
      // A transaction of the grouped way is GROUP lifecycles; of the others, one.
      const perTransaction = way === 'grouped' ? GROUP : 1;
      const lifecycles = perTransaction * Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? NaN);
      const per = (before: number | null, after: number | null) => (before === null || after === null ? 'n/a' : round((after - before) / lifecycles, 3));
      figures[`${way}LifecyclesPerSecond`] = round(perTransaction * Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? NaN));
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
