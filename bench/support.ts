/** Shared by the benchmarks: statistics, agents, and a Switchboard on a fresh database. */
import type { ConfigInput } from '../src/config/schema.ts';
import type { SwitchboardOptions } from '../src/switchboard.ts';
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

/** Whether the module is the program being run (`npx tsx bench/x.bench.ts`). */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && decodeURIComponent(new URL(moduleUrl).pathname).endsWith(script.replace(/^\.\//, ''));
}
