/**
 * Complete lifecycles per second: intake → categorize → queue → offer → accept → reply → done →
 * wrap-up → closed, driven concurrently in-process, with the outbox relay dispatching every side
 * effect (routing, timer jobs armed and removed in Redis, stream notifications, outbound sends).
 * The clock stops when every interaction is closed and the outbox is empty.
 */
import { agents, benchConfig, cpuPerUnit, isMain, profiled, readCpu, round, setAllAvailable, startBenchSwitchboard, waitFor, type Figures } from './support.ts';

export async function run(options: { lifecycles?: number; concurrency?: number } = {}): Promise<Figures> {
  const total = options.lifecycles ?? 4_000;
  const concurrency = options.concurrency ?? 48;
  const agentCount = 100;
  const sb = await startBenchSwitchboard(benchConfig(agents(agentCount, { email: 20, sms: 20 }, (i) => ({ billing: (i % 10) + 1 }))));
  try {
    await setAllAvailable(sb, agentCount);
    const commits = async () =>
      Number((await sb.database.sql<{ n: string }[]>`select xact_commit::text as n from pg_stat_database where datname = current_database()`)[0]?.n ?? 0);
    const commitsBefore = await commits();
    let started = 0;
    let closedCount = 0;
    const begin = performance.now();
    // Customers write in...
    const producer = async () => {
      while (started < total) {
        const n = started++;
        await sb.engine.intake(
          { channel: n % 3 === 0 ? 'sms' : 'email', from: `c${n}@example.com`, to: 'support@example.com', subject: n % 2 ? 'invoice' : 'hello', body: 'Please help.' },
          'bench',
        );
      }
    };
    // ...and agents take what they are offered (the relay routes after each commit): accept, reply, done, wrap up.
    const inFlight = new Set<string>();
    const agentsAtWork = async () => {
      while (closedCount < total) {
        const offered = await sb.database.sql<{ id: string; agent_id: string }[]>`
          select id, agent_id from interactions where state = 'offered' limit 500`;
        const fresh = offered.filter((o) => !inFlight.has(o.id)).slice(0, Math.max(0, concurrency - inFlight.size));
        for (const { id, agent_id: agentId } of fresh) {
          inFlight.add(id);
          void (async () => {
            await sb.actions.accept(id, agentId);
            await sb.actions.reply(id, agentId, 'Done, thank you.');
            await sb.actions.done(id, agentId);
            await sb.actions.wrapUp(id, agentId, 'resolved');
            closedCount += 1;
            inFlight.delete(id);
          })();
        }
        await new Promise((resolve) => setTimeout(resolve, fresh.length === 0 ? 2 : 0));
      }
    };
    const cpuBefore = await readCpu();
    const { closedAt, drainedAt } = await profiled(async () => {
      await Promise.all([...Array.from({ length: 8 }, producer), agentsAtWork()]);
      const closedAt = performance.now();
      await waitFor(async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from outbox`)[0]?.n === 0, 120_000, 20);
      return { closedAt, drainedAt: performance.now() };
    });
    const cpuAfter = await readCpu();
    const [closed] = await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions where state = 'closed'`;
    if (closed?.n !== total) throw new Error(`only ${closed?.n} of ${total} closed`);
    // Postgres publishes its counters within a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const commitsPerLifecycle = (await commits()) - commitsBefore;
    return {
      lifecycles: total,
      concurrency,
      lifecyclesPerSecond: round(total / ((drainedAt - begin) / 1000)),
      lifecyclesPerSecondBeforeOutboxDrained: round(total / ((closedAt - begin) / 1000)),
      // Every committed transaction in the database during the run (the engine's, the relay's claims and deletes, the agents' reads), per lifecycle.
      commitsPerLifecycle: round(commitsPerLifecycle / total, 1),
      // CPU milliseconds per lifecycle: this process (engine, relay, workers and the simulated agents), Postgres, Redis.
      ...Object.fromEntries(Object.entries(cpuPerUnit(cpuBefore, cpuAfter, total)).map(([part, ms]) => [`${part}CpuMsPerLifecycle`, ms ?? 'n/a'])),
      // How many engine transactions shared a commit on average, and how many groups had to run one by one.
      transactionsPerGroup: round(sb.engine.commitStats.members / Math.max(1, sb.engine.commitStats.groups), 2),
      groupFallbacks: sb.engine.commitStats.fallbacks,
    };
  } finally {
    await sb.stop();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
