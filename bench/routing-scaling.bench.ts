/**
 * The cost of one routing decision as the queue grows: an agent becomes free and is offered the head
 * of its queue, with 100 and with 100,000 interactions queued; and, the other way round, a new
 * interaction finds the best of 100 and of 10,000 available agents (in its intake, timed with it). Each
 * decision is one transaction, timed alone.
 */
import { randomUUID } from 'node:crypto';
import { routeAgent } from '../src/engine/router.ts';
import { cloneQueued } from '../test/support/deep-queue.ts';
import { agents, benchConfig, isMain, median, percentile, round, setAllAvailable, startBenchSwitchboard, type Figures } from './support.ts';

async function decisionsWithQueue(depth: number, decisions: number): Promise<number[]> {
  const agentCount = Math.ceil(decisions / 50);
  const sb = await startBenchSwitchboard(benchConfig(agents(agentCount, { email: 50, sms: 0 }, () => ({ billing: 5 }))), { workers: false });
  try {
    await sb.relay.stop();
    // One interaction through the real intake, then cloned in bulk with their own ids, ages and priorities (see cloneQueued).
    const { id } = await sb.engine.intake({ channel: 'email', from: 'c@example.com', to: 's@example.com', subject: 'invoice', body: 'x' }, 'bench');
    await cloneQueued(sb.database.sql, id, depth - 1);
    await setAllAvailable(sb, agentCount);
    await sb.database.sql`delete from outbox`;
    const times: number[] = [];
    for (let i = 0; i < decisions; i++) {
      const begin = performance.now();
      const agentId = `agent${i % agentCount}`;
      const offer = await sb.engine.transaction((tx, outbox, now) => routeAgent(tx, sb.engine.config, agentId, now, outbox));
      times.push(performance.now() - begin);
      if (!offer) throw new Error('no offer made');
    }
    return times;
  } finally {
    await sb.stop();
  }
}

async function intakesWithAgents(agentCount: number, decisions: number): Promise<number[]> {
  const sb = await startBenchSwitchboard(benchConfig(agents(agentCount, { email: 50, sms: 0 }, (i) => ({ billing: (i % 10) + 1 }))), { workers: false });
  try {
    await setAllAvailable(sb, agentCount);
    await sb.relay.stop();
    const times: number[] = [];
    // A new interaction is offered in its intake: the decision is timed with the intake around it.
    for (let i = 0; i < decisions; i++) {
      const begin = performance.now();
      const { state } = await sb.engine.intake({ channel: 'email', from: `c${i}@example.com`, to: 's@example.com', subject: 'invoice', body: randomUUID() }, 'bench');
      times.push(performance.now() - begin);
      if (state !== 'offered') throw new Error('no offer made');
    }
    return times;
  } finally {
    await sb.stop();
  }
}

export async function run(options: { decisions?: number } = {}): Promise<Figures> {
  const decisions = options.decisions ?? 200;
  const small = await decisionsWithQueue(100, Math.min(decisions, 90));
  const large = await decisionsWithQueue(100_000, decisions);
  const fewAgents = await intakesWithAgents(100, decisions);
  const manyAgents = await intakesWithAgents(10_000, decisions);
  return {
    decisionMedianMsQueue100: round(median(small), 2),
    decisionMedianMsQueue100k: round(median(large), 2),
    ratio100kTo100: round(median(large) / median(small), 2),
    decisionP99MsQueue100k: round(percentile(large, 99), 2),
    newInteractionIntakeMedianMs100Agents: round(median(fewAgents), 2),
    newInteractionIntakeMedianMs10kAgents: round(median(manyAgents), 2),
    ratio10kTo100Agents: round(median(manyAgents) / median(fewAgents), 2),
  };
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
