/**
 * Complete lifecycles per second: intake → categorize → queue → offer → accept → reply → done →
 * wrap-up → closed, driven concurrently in-process, with the outbox relay dispatching every side
 * effect (routing, timer jobs armed and removed in Redis, stream notifications, outbound sends).
 * Replies are delivered for real: email over SMTP, SMS over HTTP to a server speaking Twilio's API,
 * both in a process of their own (bench/delivery-sinks.ts). The clock stops when every interaction is
 * closed, the outbox is empty and every reply has arrived.
 *
 *   npx tsx bench/lifecycles.bench.ts            LIFECYCLE_REPLIES=0 for lifecycles without a reply
 *                                                (intake, offer, accept, done, wrap-up, closed)
 *
 * LIFECYCLE_PRODUCERS sets how many customers write in at once (default 8), LIFECYCLE_CONCURRENCY how
 * many offered interactions the agents work on at once (default 48). LIFECYCLE_PROCESSES=2 starts a
 * second Switchboard on the same database and Redis (in this process) and sends each action of a
 * lifecycle to the process that did not take the one before (the accept to the second): each change
 * finds the interaction last written by the other process, as behind a load balancer without affinity.
 * SWITCHBOARD_INTERACTION_CACHE sizes the processes' interaction cache as it does the server's (0: none).
 */
import { startDeliverySinks } from './delivery-sinks.ts';
import { agents, benchConfig, cpuPerUnit, isMain, profiled, readCpu, round, setAllAvailable, setting, startBenchSwitchboard, waitFor, type Figures } from './support.ts';

export async function run(options: { lifecycles?: number; concurrency?: number; producers?: number; processes?: number; replies?: boolean; warmup?: number } = {}): Promise<Figures> {
  const total = options.lifecycles ?? 4_000;
  const concurrency = options.concurrency ?? setting('LIFECYCLE_CONCURRENCY', 48);
  const producers = options.producers ?? setting('LIFECYCLE_PRODUCERS', 8);
  const processes = options.processes ?? setting('LIFECYCLE_PROCESSES', 1);
  // As the server takes it (0: no interaction cache), to compare.
  const cacheSetting = process.env.SWITCHBOARD_INTERACTION_CACHE === undefined ? undefined : Number(process.env.SWITCHBOARD_INTERACTION_CACHE);
  const replies = options.replies ?? process.env.LIFECYCLE_REPLIES !== '0';
  // Lifecycles run (and closed) before the measured ones, so that what is measured is a process that
  // has run for a while, its code optimized by V8 and its connections open (LIFECYCLE_WARMUP=0 for none).
  const warmupSetting = Number(process.env.LIFECYCLE_WARMUP ?? 1_000);
  const warmup = options.warmup ?? (Number.isInteger(warmupSetting) && warmupSetting >= 0 ? warmupSetting : 1_000);
  const agentCount = 100;
  const sinks = await startDeliverySinks();
  const number = '+14155550100';
  const sb = await startBenchSwitchboard({
    ...benchConfig(agents(agentCount, { email: 20, sms: 20 }, (i) => ({ billing: (i % 10) + 1 }))),
    smtp: { host: '127.0.0.1', port: sinks.smtpPort, secure: false },
    addresses: [{ address: 'support@example.com', name: 'Support' }],
    smsProviders: [{ id: 'twilio', accountSid: sinks.twilio.accountSid, authToken: sinks.twilio.authToken, baseUrl: sinks.twilio.url }],
    smsNumbers: [{ number, kind: 'long', provider: 'twilio' }],
  }, cacheSetting === undefined ? {} : { interactionCacheSize: cacheSetting });
  // With two processes, each action goes to the one that did not make the interaction's last change.
  const second = processes > 1 ? await sb.another({ api: false }) : null;
  const processesAtWork = second ? [second, sb] : [sb];
  try {
    await setAllAvailable(sb, agentCount);
    const commits = async () =>
      Number((await sb.database.sql<{ n: string }[]>`select xact_commit::text as n from pg_stat_database where datname = current_database()`)[0]?.n ?? 0);
    const delivered = async () => {
      const counts = await sinks.count();
      return counts.emails + counts.sms;
    };
    // Customers numbered from `first` write in, and agents take what they are offered (the relay routes
    // after each commit): accept, reply, done, wrap up. Resolves once `count` are closed, with when.
    const lifecycles = async (first: number, count: number) => {
      let started = 0;
      let closedCount = 0;
      const producer = async () => {
        while (started < count) {
          const n = first + started++;
          const customer = n % 3 === 0 ? { channel: 'sms' as const, from: `+1415${String(2_000_000 + n).padStart(7, '0')}`, to: number } : { channel: 'email' as const, from: `c${n}@example.com`, to: 'support@example.com' };
          await sb.engine.intake({ ...customer, subject: n % 2 ? 'invoice' : 'hello', body: 'Please help.' }, 'bench');
        }
      };
      const inFlight = new Set<string>();
      const agentsAtWork = async () => {
        while (closedCount < count) {
          const offered = await sb.database.sql<{ id: string; agent_id: string }[]>`
            select id, agent_id from interactions where state = 'offered' limit 500`;
          const fresh = offered.filter((o) => !inFlight.has(o.id)).slice(0, Math.max(0, concurrency - inFlight.size));
          for (const { id, agent_id: agentId } of fresh) {
            inFlight.add(id);
            void (async () => {
              let turn = 0;
              const next = () => processesAtWork[turn++ % processesAtWork.length]!.actions;
              await next().accept(id, agentId);
              if (replies) await next().reply(id, agentId, 'Done, thank you.');
              await next().done(id, agentId);
              await next().wrapUp(id, agentId, 'resolved');
              closedCount += 1;
              inFlight.delete(id);
            })();
          }
          await new Promise((resolve) => setTimeout(resolve, fresh.length === 0 ? 2 : 0));
        }
      };
      await Promise.all([...Array.from({ length: producers }, producer), agentsAtWork()]);
      return performance.now();
    };
    // The clock stops when every measured interaction is closed, the outbox is empty and every reply has
    // arrived (the sinks count every reply since they started).
    const drained = async (expectedReplies: number) => {
      await waitFor(async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from outbox`)[0]?.n === 0, 120_000, 20);
      if (replies) await waitFor(async () => (await delivered()) >= expectedReplies, 120_000, 20);
      return performance.now();
    };
    if (warmup > 0) {
      await lifecycles(0, warmup);
      await drained(warmup);
    }
    const commitsBefore = await commits();
    const statsBefore = { ...sb.engine.commitStats };
    const cacheStats = () => {
      const all = processesAtWork.map((at) => at.engine.interactionCacheStats);
      const sum = (field: 'hits' | 'stale' | 'pauses') => all.reduce((n, stats) => n + (stats?.[field] ?? 0), 0);
      return all.every((stats) => stats !== null) ? { hits: sum('hits'), stale: sum('stale'), pauses: sum('pauses') } : null;
    };
    const cacheBefore = cacheStats();
    const sinksBefore = await sinks.count();
    await sinks.mark();
    const cpuBefore = await readCpu();
    const begin = performance.now();
    const { closedAt, drainedAt } = await profiled(async () => {
      const closedAt = await lifecycles(warmup, total);
      return { closedAt, drainedAt: await drained(replies ? warmup + total : 0) };
    });
    const cpuAfter = await readCpu();
    const sinksAfter = await sinks.count();
    const sinkCounts = { emails: sinksAfter.emails - sinksBefore.emails, sms: sinksAfter.sms - sinksBefore.sms, cpuMs: sinksAfter.cpuMs };
    const [closed] = await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions where state = 'closed'`;
    if (closed?.n !== warmup + total) throw new Error(`only ${closed?.n} of ${warmup + total} closed`);
    if (sinkCounts.emails + sinkCounts.sms !== (replies ? total : 0)) throw new Error(`${sinkCounts.emails + sinkCounts.sms} replies delivered, expected ${replies ? total : 0}`);
    // Postgres publishes its counters within a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const commitsPerLifecycle = (await commits()) - commitsBefore;
    const stats = sb.engine.commitStats;
    const cache = cacheStats();
    return {
      lifecycles: total,
      warmup,
      concurrency,
      producers,
      processes,
      replies: replies ? 'one each, delivered' : 'none',
      lifecyclesPerSecond: round(total / ((drainedAt - begin) / 1000)),
      lifecyclesPerSecondBeforeOutboxDrained: round(total / ((closedAt - begin) / 1000)),
      // Every committed transaction in the database during the run (the engine's, the relay's claims and deletes, the agents' reads), per lifecycle.
      commitsPerLifecycle: round(commitsPerLifecycle / total, 1),
      // Replies that reached the SMTP server and the SMS provider.
      emailsDelivered: sinkCounts.emails,
      smsDelivered: sinkCounts.sms,
      // CPU milliseconds per lifecycle: this process (engine, relay, workers and the simulated agents), Postgres, Redis, and the servers replies go to.
      ...Object.fromEntries(Object.entries(cpuPerUnit(cpuBefore, cpuAfter, total, { deliverySinks: sinkCounts.cpuMs })).map(([part, ms]) => [`${part}CpuMsPerLifecycle`, ms ?? 'n/a'])),
      // How many engine transactions shared a commit on average, and how many groups had to run one by one.
      transactionsPerGroup: round((stats.members - statsBefore.members) / Math.max(1, stats.groups - statsBefore.groups), 2),
      groupFallbacks: stats.fallbacks - statsBefore.fallbacks,
      // Changes that took their interaction from the process's copy instead of reading it (per lifecycle), and copies found stale.
      interactionCacheHitsPerLifecycle: cache && cacheBefore ? round((cache.hits - cacheBefore.hits) / total, 2) : 0,
      staleCopies: cache && cacheBefore ? cache.stale - cacheBefore.stale : 0,
      // Since the process started (warm-up included): times a cache stopped lending copies, too many having been stale.
      interactionCachePauses: cache?.pauses ?? 0,
    };
  } finally {
    await sb.stop();
    await sinks.close();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
