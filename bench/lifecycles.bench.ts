/**
 * Complete lifecycles per second: intake → categorize → queue → offer → accept → reply → done →
 * wrap-up → closed, driven concurrently in-process, with the outbox relay dispatching every side
 * effect (routing, timer jobs armed and removed in Redis, stream notifications, outbound sends).
 * The clock stops when every interaction is closed and the outbox is empty.
 */
import { agents, benchConfig, isMain, round, setAllAvailable, startBenchSwitchboard, waitFor, type Figures } from './support.ts';

export async function run(options: { lifecycles?: number; concurrency?: number } = {}): Promise<Figures> {
  const total = options.lifecycles ?? 4_000;
  const concurrency = options.concurrency ?? 48;
  const agentCount = 100;
  const sb = await startBenchSwitchboard(benchConfig(agents(agentCount, { email: 20, sms: 20 })));
  try {
    await setAllAvailable(sb, agentCount);
    let started = 0;
    const begin = performance.now();
    const worker = async () => {
      while (started < total) {
        const n = started++;
        const { id } = await sb.engine.intake(
          { channel: n % 3 === 0 ? 'sms' : 'email', from: `c${n}@example.com`, to: 'support@example.com', subject: n % 2 ? 'invoice' : 'hello', body: 'Please help.' },
          'bench',
        );
        // The relay routes it after commit; routing here too is what a second process would do (idempotent).
        let offer = await sb.engine.routeInteraction(id);
        while (!offer) {
          const [row] = await sb.database.sql<{ agent_id: string | null; state: string }[]>`select agent_id, state from interactions where id = ${id}`;
          if (row?.state === 'offered' && row.agent_id) {
            offer = { interactionId: id, agentId: row.agent_id, offerId: '' };
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 1));
          offer = await sb.engine.routeInteraction(id);
        }
        const agentId = offer.agentId;
        await sb.actions.accept(id, agentId);
        await sb.actions.reply(id, agentId, 'Done, thank you.');
        await sb.actions.done(id, agentId);
        await sb.actions.wrapUp(id, agentId, 'resolved');
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const closedAt = performance.now();
    await waitFor(async () => (await sb.database.sql<{ n: number }[]>`select count(*)::int as n from outbox`)[0]?.n === 0, 120_000, 20);
    const drainedAt = performance.now();
    const [closed] = await sb.database.sql<{ n: number }[]>`select count(*)::int as n from interactions where state = 'closed'`;
    if (closed?.n !== total) throw new Error(`only ${closed?.n} of ${total} closed`);
    return {
      lifecycles: total,
      concurrency,
      lifecyclesPerSecond: round(total / ((drainedAt - begin) / 1000)),
      lifecyclesPerSecondBeforeOutboxDrained: round(total / ((closedAt - begin) / 1000)),
      transactionsPerLifecycle: 7,
    };
  } finally {
    await sb.stop();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
