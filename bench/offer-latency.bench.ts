/**
 * Intake-to-offer latency at a steady 100 interactions per second with 1,000 agents: from the start
 * of the intake call until the offer is on the agent's stream (the stream event is committed and its
 * notification has arrived over Redis, as an SSE connection would see it).
 */
import { connectRedis } from '../src/queues/redis.ts';
import { redisUrl } from '../test/support/env.ts';
import { agents, benchConfig, isMain, percentile, round, setAllAvailable, settle, startBenchSwitchboard, waitFor, type Figures } from './support.ts';

export async function run(options: { rate?: number; seconds?: number; agentCount?: number } = {}): Promise<Figures> {
  const rate = options.rate ?? 100;
  const seconds = options.seconds ?? 10;
  const agentCount = options.agentCount ?? 1_000;
  const sb = await startBenchSwitchboard(benchConfig(agents(agentCount, { email: 5, sms: 5 }, (i) => ({ billing: (i % 10) + 1 }))), {
    relayPollMs: 1_000,
  });
  const subscriber = connectRedis(redisUrl());
  try {
    await setAllAvailable(sb, agentCount);
    // Start from a quiet system: the agents' log-ins have been dispatched.
    await waitFor(async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from outbox`)[0]?.n === 0, 120_000);
    const started = new Map<string, number>();
    const latencies: number[] = [];
    const lastSeen = new Map<string, number>();
    // Watch the agents' streams the way the event-stream endpoint does: a notification, then read what is new.
    subscriber.on('message', (_channel: string, userId: string) => {
      void (async () => {
        const after = lastSeen.get(userId) ?? 0;
        const rows = await sb.database.sql<{ id: string; data: { interactionId?: string } }[]>`
          select id::text, data from stream_events where user_id = ${userId} and id > ${after} and type = 'offer' order by id`;
        const seenAt = performance.now();
        for (const row of rows) {
          lastSeen.set(userId, Math.max(lastSeen.get(userId) ?? 0, Number(row.id)));
          const begin = row.data.interactionId ? started.get(row.data.interactionId) : undefined;
          if (begin !== undefined) {
            latencies.push(seenAt - begin);
            started.delete(row.data.interactionId!);
          }
        }
      })();
    });
    await subscriber.subscribe(`${sb.prefix}:stream`);

    const total = rate * seconds;
    const interval = 1000 / rate;
    const t0 = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let n = 0; n < total; n++) {
      const due = t0 + n * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const begin = performance.now();
      pending.push(
        sb.engine
          .intake({ channel: n % 2 ? 'email' : 'sms', from: `c${n}@example.com`, to: 'support@example.com', subject: n % 3 ? 'hello' : 'invoice', body: 'x' }, 'bench')
          .then(({ id }) => started.set(id, begin)),
      );
    }
    await Promise.all(pending);
    await settle(() => latencies.length >= total, 15_000);
    return {
      rate,
      agents: agentCount,
      interactions: total,
      offered: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(percentile(latencies, 100)),
    };
  } finally {
    subscriber.disconnect();
    await sb.stop();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
