/**
 * `npm run bench [-- <name>...]`: runs the benchmarks (each BENCH_RUNS times, default 3, on a fresh
 * database each time), measures what pgbench reaches on the same Postgres in the same run, and prints
 * the machine, every run's figures and their medians as JSON.
 *
 * The benchmarks need the same local Postgres and Redis as the tests (TEST_DATABASE_URL, TEST_REDIS_URL).
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { adminDatabaseUrl, redisUrl } from '../test/support/env.ts';
import { median, postgresClientArgs, type Figures } from './support.ts';

const BENCHMARKS: Record<string, () => Promise<Record<string, unknown>>> = {
  lifecycles: async () => (await import('./lifecycles.bench.ts')).run(),
  // The same lifecycles without a reply: what the engine costs apart from sending.
  'lifecycles-no-reply': async () => (await import('./lifecycles.bench.ts')).run({ replies: false }),
  // Both with four times the offered load (32 customers writing in at once, 192 offers worked at once):
  // what the machine takes when the load is not what limits it.
  'lifecycles-192': async () => (await import('./lifecycles.bench.ts')).run({ producers: 32, concurrency: 192 }),
  'lifecycles-no-reply-192': async () => (await import('./lifecycles.bench.ts')).run({ replies: false, producers: 32, concurrency: 192 }),
  'offer-latency': async () => (await import('./offer-latency.bench.ts')).run(),
  'timer-lateness': async () => (await import('./timer-lateness.bench.ts')).run(),
  'routing-scaling': async () => (await import('./routing-scaling.bench.ts')).run(),
  'sms-webhook': async () => (await import('./sms-webhook.bench.ts')).run(),
  // The webhook's response times when messages arrive at 300 a second, as a carrier sends them.
  'sms-webhook-300': async () => (await import('./sms-webhook.bench.ts')).run({ rate: 300 }),
  'email-capture': async () => (await import('./email-capture.bench.ts')).run(),
  'round-trips': async () => (await import('./round-trips.bench.ts')).run(),
  'sms-send': async () => (await import('./sms-send.bench.ts')).run(),
  // What a statement costs apart from its work, and what Postgres alone makes of a lifecycle's writes.
  'statement-cost': async () => (await import('./statement-cost.bench.ts')).run(),
  'lifecycle-floor': async () => (await import('./lifecycle-floor.bench.ts')).run(),
};

async function machine(): Promise<Figures> {
  const sql = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  const [pg] = await sql<{ version: string }[]>`select version()`;
  await sql.end();
  const redis = new Redis(redisUrl(), { lazyConnect: true });
  await redis.connect();
  const info = await redis.info('server');
  redis.disconnect();
  return {
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: pg?.version.split(',')[0] ?? 'unknown',
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  };
}

/** pgbench's TPC-B-like read-write transactions per second on the same server, 8 clients, 10 s. */
function pgbench(): Figures {
  const url = new URL(adminDatabaseUrl());
  const args = postgresClientArgs();
  const database = 'switchboard_pgbench';
  execFileSync('psql', [...args, '-d', url.pathname.slice(1) || 'postgres', '-qc', `drop database if exists ${database}`, '-c', `create database ${database}`], { stdio: 'pipe' });
  try {
    execFileSync('pgbench', [...args, '-i', '-s', '10', '-q', database], { stdio: 'pipe' });
    const output = execFileSync('pgbench', [...args, '-c', '8', '-j', '2', '-T', '10', database], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1] ?? NaN);
    return { pgbenchTps: Math.round(tps), pgbenchCommand: 'pgbench -i -s 10; pgbench -c 8 -j 2 -T 10' };
  } finally {
    execFileSync('psql', [...args, '-d', url.pathname.slice(1) || 'postgres', '-qc', `drop database if exists ${database}`], { stdio: 'pipe' });
  }
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const selected = names.length > 0 ? names : Object.keys(BENCHMARKS);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const unknown = selected.filter((name) => !BENCHMARKS[name]);
  if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);

  const report: Record<string, unknown> = { date: new Date().toISOString(), machine: await machine(), runs };
  report.pgbench = pgbench();
  for (const name of selected) {
    const results: Record<string, unknown>[] = [];
    for (let i = 0; i < runs; i++) {
      results.push(await BENCHMARKS[name]!());
      process.stderr.write(`${name} run ${i + 1}/${runs}: ${JSON.stringify(results.at(-1))}\n`);
    }
    const medians: Record<string, number> = {};
    for (const key of Object.keys(results[0] ?? {})) {
      const values = results.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
      if (values.length === results.length) medians[key] = median(values);
    }
    report[name] = { median: medians, runs: results };
  }
  report.pgbenchAfter = pgbench();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
process.exit(0);
