/**
 * Inbound SMS webhook to offered. Starts a real Switchboard on a fresh database (real Postgres, real
 * Redis) with 200 available agents (room for every message sent), fires Twilio-signed inbound webhooks from distinct senders over
 * real HTTP from a separate process (bench/sms-webhook-load.ts: keep-alive connections, a fixed number
 * in flight, or a fixed rate), and reports the accepted messages per second, the webhook's response
 * time percentiles, and how many interactions became offered and how long that took.
 *
 *   npx tsx bench/sms-webhook.bench.ts            prints the figures as JSON
 *   SMS_BENCH_MESSAGES=5000 SMS_BENCH_CONCURRENCY=64 SMS_BENCH_ACK=1 npx tsx bench/sms-webhook.bench.ts
 *
 * SMS_BENCH_RATE=400 sends 400 messages a second whatever the answers instead of a fixed number in
 * flight, and times each response from when its request was due (what the webhook's response time is
 * at that rate). SMS_BENCH_MESSAGES sets the messages measured (default 6,000); SMS_BENCH_ACK=1 also
 * sends each customer an acknowledgement (to a local fake Twilio); SMS_BENCH_IDLE=1 leaves the agents logged out;
 * SMS_BENCH_POOL sets the Postgres pool size (default 16); SMS_BENCH_PROCESSES=2 runs a second API process
 * on the same database and Redis, the load generator's connections taking turns between the two;
 * SMS_BENCH_SHOTS=<file> writes each measured request's time, response time and status; SMS_BENCH_AGENTS and SMS_BENCH_CAPACITY the
 * agents and the SMS each takes at once (default 200 and 50, at most 50); SMS_BENCH_WARMUP the messages
 * sent before the measured ones (default 2,000; 1,500 at a fixed rate).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ConfigInput } from '../src/config/schema.ts';
import { FakeTwilio } from '../test/support/fake-twilio.ts';
import { freePort } from '../test/support/sms.ts';
import { spawnSwitchboard, writeConfigFile, type SwitchboardProcess } from '../test/support/processes.ts';
import { startTestSwitchboard } from '../test/support/switchboard.ts';
import type { LoadPlan, LoadResult } from './sms-webhook-load.ts';
import { cpuPerUnit, profiled, readCpu, setting } from './support.ts';

const NUMBER = '+14155550100';

const AGENTS = setting('SMS_BENCH_AGENTS', 200);
const CAPACITY = setting('SMS_BENCH_CAPACITY', 50);

function benchConfig(twilio: FakeTwilio, baseUrl: string, acknowledge: boolean): ConfigInput {
  const agents = Array.from({ length: AGENTS }, (_, index) => ({
    id: `agent${index}`,
    name: `Agent ${index}`,
    role: 'agent' as const,
    token: `bench-agent-token-${String(index).padStart(4, '0')}-0123456789`,
    workgroups: ['support'],
    skills: { english: 1 + (index % 9) },
    capacity: { email: 0, sms: CAPACITY },
  }));
  return {
    users: [{ id: 'admin', name: 'Admin', role: 'admin', token: 'bench-admin-token-0123456789' }, ...agents],
    workgroups: [{ id: 'support', name: 'Support' }],
    categories: [
      { id: 'billing', rules: ['invoice', 'refund'], workgroup: 'support', skills: [], priority: 10 },
      { id: 'general', rules: [], workgroup: 'support', skills: ['english'], priority: 1, default: true },
    ],
    routing: { offerTimeout: '10m', aging: { every: '1h', add: 1 } },
    dispositions: [{ code: 'resolved', default: true }],
    smsProviders: [{ id: 'twilio', accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.url, webhookBaseUrl: baseUrl }],
    smsNumbers: [{ number: NUMBER, kind: 'long', provider: 'twilio', acknowledgement: acknowledge ? 'Thanks, ref {reference}.' : null }],
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Runs the load generator in a process of its own and returns what it measured. */
async function fire(plan: LoadPlan): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./sms-webhook-load.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as LoadResult;
}

export async function run(options: { rate?: number } = {}): Promise<Record<string, unknown>> {
  const total = setting('SMS_BENCH_MESSAGES', 6_000);
  const concurrency = setting('SMS_BENCH_CONCURRENCY', 32);
  // SMS_BENCH_RATE unset (or not a positive whole number): a fixed number in flight instead.
  const rate = options.rate ?? (setting('SMS_BENCH_RATE', 0) || undefined);
  // The server is warmed up first, so that what is measured is a server that has run for a while: in
  // its first seconds V8 has not yet optimized the code on the path (after 200 messages it took 15-33 % more
  // CPU per message than after 2,000), and connections are still opening.
  const warmup = setting('SMS_BENCH_WARMUP', Math.min(rate === undefined ? 2_000 : 1_500, Math.floor(total / 3)));
  const acknowledge = process.env.SMS_BENCH_ACK === '1';
  const twilio = await FakeTwilio.start();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = benchConfig(twilio, baseUrl, acknowledge);
  const sb = await startTestSwitchboard(config, { port, databasePoolSize: setting('SMS_BENCH_POOL', 16) });
  // SMS_BENCH_PROCESSES=2 (or more): further API processes on the same database and Redis, each taking
  // its share of the connections, as behind a load balancer.
  const others: SwitchboardProcess[] = [];
  const otherPorts: number[] = [];
  try {
    const processes = setting('SMS_BENCH_PROCESSES', 1);
    const configFile = processes > 1 ? await writeConfigFile(config) : '';
    for (let i = 1; i < processes; i++) {
      const otherPort = await freePort();
      others.push(
        await spawnSwitchboard({
          databaseUrl: sb.database.url,
          configFile,
          prefix: sb.prefix,
          args: ['--api-only'],
          env: { PORT: String(otherPort), NODE_OPTIONS: '--max-semi-space-size=32', SWITCHBOARD_OUTBOX_LEASE_MS: '30000', SWITCHBOARD_RELAY_POLL_MS: '1000', SWITCHBOARD_JOB_LOCK_MS: '30000' },
        }),
      );
      otherPorts.push(otherPort);
    }
    const sql = sb.database.sql;
    // SMS_BENCH_IDLE=1 leaves the agents logged out: nothing is routed, which isolates the webhook path.
    const available = process.env.SMS_BENCH_IDLE === '1' ? 0 : AGENTS;
    for (let index = 0; index < available; index += 1) {
      await sb.engine.setPresence(`agent${index}`, { type: 'GO_AVAILABLE', at: new Date().toISOString() }, 'bench');
    }
    const plan = { url: `${baseUrl}/webhooks/sms/twilio`, authToken: twilio.authToken, accountSid: twilio.accountSid, to: NUMBER, concurrency, alsoPorts: otherPorts };

    await fire({ ...plan, first: 0, count: warmup });
    // Let the warm-up messages be routed first, so they do not count as measured offers.
    const settleBy = Date.now() + 60_000;
    while (available > 0 && (await countOffered(sql)) < warmup && Date.now() < settleBy) await new Promise((resolve) => setTimeout(resolve, 50));
    const offeredBefore = await countOffered(sql);
    const load = loadavg()[0] ?? 0;
    const measuredFrom = performance.now();
    const cpuBefore = await readCpu();
    const commitsBefore = { ...sb.engine.commitStats };
    const { shots, seconds, cpuMs } = await profiled(() => fire({ ...plan, first: warmup, count: total, rate }));
    const cpuAfter = await readCpu();
    const commits = sb.engine.commitStats;
    const groups = commits.groups - commitsBefore.groups;
    const accepted = shots.filter((shot) => shot.status === 200).length;
    const latencies = shots.map((shot) => shot.ms).sort((a, b) => a - b);
    // SMS_BENCH_SHOTS=<file>: every measured request's time sent (epoch ms), response time and status, for looking at the tail.
    if (process.env.SMS_BENCH_SHOTS) await writeFile(process.env.SMS_BENCH_SHOTS, JSON.stringify(shots));

    // Offered: every measured message should find a free agent (50 agents x 50 SMS each).
    const expectedOffered = available === 0 ? 0 : Math.min(total, AGENTS * CAPACITY - offeredBefore);
    const deadline = Date.now() + 120_000;
    let offered = 0;
    while (Date.now() < deadline) {
      offered = (await countOffered(sql)) - offeredBefore;
      if (offered >= expectedOffered) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const toOfferedSeconds = (performance.now() - measuredFrom) / 1000;
    const [states] = await sql<{ interactions: number; queued: number }[]>`
      select count(*)::int as interactions, count(*) filter (where state = 'queued')::int as queued from interactions`;

    return {
      name: 'sms-webhook',
      machine: { cpus: cpus().length, loadAverage1m: round(load) },
      messages: total,
      warmup,
      ...(rate === undefined ? { concurrency } : { rate }),
      agents: AGENTS,
      acknowledgements: acknowledge,
      accepted,
      refused: total - accepted,
      refusals: Object.fromEntries(
        [...new Set(shots.filter((shot) => shot.status !== 200).map((shot) => `${shot.status} ${shot.error ?? ''}`))].map((key) => [
          key,
          shots.filter((shot) => `${shot.status} ${shot.error ?? ''}` === key).length,
        ]),
      ),
      acceptedPerSecond: round(accepted / seconds, 1),
      webhookMs: {
        p50: round(percentile(latencies, 50)),
        p90: round(percentile(latencies, 90)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies[latencies.length - 1] ?? Number.NaN),
      },
      // Switchboard's process, Postgres, Redis and the load generator, while the messages were sent.
      cpuMsPerMessage: cpuPerUnit(cpuBefore, cpuAfter, total, { loadGenerator: cpuMs }),
      // How many engine transactions shared a commit on average while the messages were sent, and how many groups had to run one by one.
      transactionsPerGroup: round((commits.members - commitsBefore.members) / Math.max(1, groups), 2),
      groupFallbacks: commits.fallbacks - commitsBefore.fallbacks,
      offered,
      expectedOffered,
      stillQueued: states?.queued ?? 0,
      interactionsStored: states?.interactions ?? 0,
      secondsUntilAllOffered: offered >= expectedOffered ? round(toOfferedSeconds) : null,
      // At a fixed rate the rate is the benchmark's choice: only the response time is a result.
      targets: rate === undefined ? { acceptedPerSecond: 1_000, p99Ms: 50 } : { p99Ms: 50 },
      met: {
        ...(rate === undefined ? { acceptedPerSecond: accepted / seconds >= 1_000 } : {}),
        p99: percentile(latencies, 99) < 50,
      },
    };
  } finally {
    for (const other of others) await other.kill('SIGTERM');
    await sb.stop();
    await twilio.close();
  }
}

async function countOffered(sql: Awaited<ReturnType<typeof startTestSwitchboard>>['database']['sql']): Promise<number> {
  const [row] = await sql<{ offered: number }[]>`select count(*)::int as offered from interactions where state = 'offered'`;
  return row?.offered ?? 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
