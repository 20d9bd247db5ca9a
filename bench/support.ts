/** Shared by the benchmarks: statistics, agents, and a Switchboard on a fresh database. */
import type { ConfigInput } from '../src/config/schema.ts';
import type { SwitchboardOptions } from '../src/switchboard.ts';
import { adminDatabaseUrl } from '../test/support/env.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/switchboard.ts';

export type Figures = Record<string, number | string>;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** How psql and pgbench reach the benchmarks' Postgres (host, port and user of TEST_DATABASE_URL). */
export function postgresClientArgs(): string[] {
  const url = new URL(adminDatabaseUrl());
  return ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres')];
}

export function agents(count: number, capacity: { email: number; sms: number }, skills: (i: number) => Record<string, number> = () => ({})) {
  return Array.from({ length: count }, (_, i) => ({
    id: `agent${i}`,
    name: `Agent ${i}`,
    role: 'agent' as const,
    token: `bench-agent-token-${String(i).padStart(6, '0')}`,
    workgroups: ['support'],
    skills: skills(i),
    capacity,
  }));
}

export function benchConfig(users: ConfigInput['users'], routing: ConfigInput['routing'] = {}): ConfigInput {
  return {
    users,
    workgroups: [{ id: 'support', name: 'Support' }],
    categories: [
      { id: 'billing', rules: ['invoice'], workgroup: 'support', skills: ['billing'], priority: 5 },
      { id: 'general', workgroup: 'support', default: true },
    ],
    routing: { offerTimeout: '5m', wrapUpTimeout: '5m', aging: { every: '1h', add: 1 }, ...routing },
    dispositions: [{ code: 'resolved', default: true }],
  };
}

export function startBenchSwitchboard(config: ConfigInput, options: Partial<SwitchboardOptions> & { connectVia?: (url: string) => string } = {}): Promise<TestSwitchboard> {
  return startTestSwitchboard(config, { relayPollMs: 200, databasePoolSize: 20, ...options });
}

export async function setAllAvailable(sb: TestSwitchboard, count: number): Promise<void> {
  const at = new Date().toISOString();
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) => sb.engine.setPresence(`agent${i + j}`, { type: 'GO_AVAILABLE', at }, 'bench')),
    );
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('benchmark condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until `done()` or the time is up, without failing: a benchmark then reports what it got. */
export async function settle(done: () => boolean, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

/** A benchmark setting from the environment: a whole number above 0, or `fallback`. */
export function setting(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Whether the module is the program being run (`npx tsx bench/x.bench.ts`). */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && decodeURIComponent(new URL(moduleUrl).pathname).endsWith(script.replace(/^\.\//, ''));
}

/** CPU time used so far: this process's, and (where /proc shows them, i.e. on Linux with the services local) Postgres's and Redis's. */
export interface CpuReading {
  processMs: number;
  postgresMs: number | null;
  redisMs: number | null;
}

/** CPU milliseconds in a /proc/<pid>/stat line: the process's own, or those of its children it has waited for. */
function statCpuMs(stat: string, whose: 'own' | 'children'): number {
  // utime and stime are fields 14 and 15 of the line (cutime and cstime 16 and 17), 12 to 15 after the name.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const first = whose === 'own' ? 11 : 13;
  return (Number(fields[first]) + Number(fields[first + 1])) * 10; // USER_HZ is 100 on Linux
}

/** A process's CPU milliseconds so far (see statCpuMs), where /proc shows it (Linux, a local process); null elsewhere. */
export async function processCpuMs(pid: number | 'self', whose: 'own' | 'children' = 'own'): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null ? null : statCpuMs(stat, whose);
}

async function servicesCpuMs(): Promise<{ postgres: number; redis: number } | null> {
  const { readdir, readFile } = await import('node:fs/promises');
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  const totals = { postgres: 0, redis: 0 };
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const service = name === 'postgres' ? 'postgres' : name.startsWith('redis-server') ? 'redis' : null;
    if (service !== null) totals[service] += statCpuMs(stat, 'own');
  }
  return totals;
}

export async function readCpu(): Promise<CpuReading> {
  const usage = process.cpuUsage();
  const services = await servicesCpuMs();
  return { processMs: (usage.user + usage.system) / 1000, postgresMs: services?.postgres ?? null, redisMs: services?.redis ?? null };
}

/**
 * CPU milliseconds per unit of work between two readings: this process's, Postgres's and Redis's (a
 * Postgres process that ended in between is not counted). Where throughput is bound by the machine's
 * cores, this says which part to make cheaper.
 */
export function cpuPerUnit(before: CpuReading, after: CpuReading, units: number, others: Record<string, number> = {}): Record<string, number | null> {
  const per = (a: number | null, b: number | null) => (a === null || b === null || units === 0 ? null : round((b - a) / units, 3));
  return {
    process: per(before.processMs, after.processMs),
    postgres: per(before.postgresMs, after.postgresMs),
    redis: per(before.redisMs, after.redisMs),
    ...Object.fromEntries(Object.entries(others).map(([name, ms]) => [name, round(ms / units, 3)])),
  };
}

/**
 * Runs `measure` under V8's CPU profiler when BENCH_CPU_PROFILE names a file (written as a
 * .cpuprofile that Chrome's DevTools open), and under its sampling heap profiler when
 * BENCH_HEAP_PROFILE names one (a .heapprofile of allocations sampled, those collected since
 * included), so a profile shows the measured part of a benchmark only. BENCH_PERF_RECORD names a file for
 * `perf record` of this process instead (every thread on the CPU, the kernel's part included; run node
 * with --perf-basic-prof to name JavaScript functions).
 */
export async function profiled<T>(measure: () => Promise<T>): Promise<T> {
  const cpuFile = process.env.BENCH_CPU_PROFILE;
  const heapFile = process.env.BENCH_HEAP_PROFILE;
  const perfFile = process.env.BENCH_PERF_RECORD;
  if (perfFile) return perfRecorded(perfFile, measure);
  if (!cpuFile && !heapFile) return measure();
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  if (cpuFile) {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  if (heapFile) {
    await session.post('HeapProfiler.enable');
    // One allocation in each 16 KiB or so, counting what the garbage collector has freed since.
    await session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as never);
  }
  try {
    return await measure();
  } finally {
    if (cpuFile) await writeFile(cpuFile, JSON.stringify((await session.post('Profiler.stop')).profile));
    if (heapFile) await writeFile(heapFile, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
    session.disconnect();
  }
}

/** Runs `measure` under `perf record -g` of this process, written to `file`. */
async function perfRecorded<T>(file: string, measure: () => Promise<T>): Promise<T> {
  const { spawn } = await import('node:child_process');
  const perf = spawn('perf', ['record', '-F', '999', '-g', '-p', String(process.pid), '-o', file], { stdio: 'ignore' });
  const exited = new Promise((resolve) => perf.once('exit', resolve));
  // perf needs a moment to attach to every thread.
  await new Promise((resolve) => setTimeout(resolve, 300));
  try {
    return await measure();
  } finally {
    perf.kill('SIGINT');
    await exited;
  }
}
