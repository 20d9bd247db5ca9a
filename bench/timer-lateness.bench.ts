/**
 * Timer lateness with 100,000 timers pending: the queue holds 100,000 delayed timer jobs due later,
 * while timers come due at a steady rate; each fired timer is measured from its due time to the moment
 * the worker starts applying it (and it is applied: a transaction on its interaction).
 */
import { agents, benchConfig, isMain, percentile, round, settle, startBenchSwitchboard, type Figures } from './support.ts';

export async function run(options: { pending?: number; measured?: number; seconds?: number } = {}): Promise<Figures> {
  const pendingCount = options.pending ?? 100_000;
  const measuredCount = options.measured ?? 2_000;
  const seconds = options.seconds ?? 20;
  const lateness: number[] = [];
  const sb = await startBenchSwitchboard(benchConfig(agents(1, { email: 1, sms: 1 })), {
    onTimerFired: (ms) => lateness.push(ms),
  });
  try {
    // Interactions for the measured timers to act on (stale aging ticks: each one locks, checks, and is ignored).
    const targets: string[] = [];
    for (let i = 0; i < 100; i++) {
      const { id } = await sb.engine.intake({ channel: 'email', from: `t${i}@example.com`, to: 's@example.com', subject: 'hello', body: 'x' }, 'bench');
      targets.push(id);
    }
    const target = (i: number) => ({ kind: 'interaction' as const, id: targets[i % targets.length]! });
    // 100,000 timers pending (due in an hour), added in bulk.
    const later = Date.now() + 3_600_000;
    for (let i = 0; i < pendingCount; i += 5_000) {
      await sb.timers.queue.addBulk(
        Array.from({ length: Math.min(5_000, pendingCount - i) }, (_, j) => ({
          name: 'timer',
          data: { target: target(i + j), event: { type: 'timer.aging', agingSeq: -1 }, fireAt: later },
          opts: { jobId: `pending-${i + j}`, delay: later - Date.now(), removeOnComplete: true },
        })),
      );
    }
    const delayed = await sb.timers.queue.getDelayedCount();
    // The measured timers come due evenly over the window, armed as the runtime arms them.
    const start = Date.now() + 2_000;
    for (let i = 0; i < measuredCount; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, measuredCount - i) }, (_, j) =>
          sb.timers.arm(`measured-${i + j}`, {
            target: target(i + j),
            event: { type: 'timer.aging', agingSeq: -1 },
            fireAt: start + Math.floor(((i + j) / measuredCount) * seconds * 1000),
          }),
        ),
      );
    }
    await settle(() => lateness.length >= measuredCount, (seconds + 30) * 1000, 100);
    return {
      pendingTimers: delayed,
      measuredTimers: lateness.length,
      p50Ms: round(percentile(lateness, 50)),
      p99Ms: round(percentile(lateness, 99)),
      maxMs: round(percentile(lateness, 100)),
    };
  } finally {
    await sb.timers.queue.obliterate({ force: true }).catch(() => {});
    await sb.stop();
  }
}

if (isMain(import.meta.url)) console.log(JSON.stringify(await run()));
