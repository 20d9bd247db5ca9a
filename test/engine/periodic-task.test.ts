/**
 * The loops worker processes run every so often (lost jobs, the hot-table vacuum): a run goes a period
 * after the previous one ended, never beside it; a failure is reported and the loop goes on; stopping
 * waits for the run under way and starts no other.
 */
import { describe, expect, it } from 'vitest';
import { PeriodicTask } from '../../src/periodic-task.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a periodic task', () => {
  it('runs again a period after each run ends, never two at once, and goes on after a failure', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const errors: unknown[] = [];
    const task = new PeriodicTask(
      async () => {
        running += 1;
        most = Math.max(most, running);
        runs += 1;
        await sleep(30);
        running -= 1;
        if (runs === 2) throw new Error('second run failed');
      },
      5,
      (error) => errors.push(error),
    );
    task.start();
    await expect.poll(() => runs, { timeout: 5_000, interval: 5 }).toBeGreaterThanOrEqual(4);
    await task.stop();
    expect(most).toBe(1);
    expect(errors.map((error) => (error as Error).message)).toEqual(['second run failed']);
  });

  it('waits for the run under way when stopped, and starts no other', async () => {
    let runs = 0;
    let finished = 0;
    const task = new PeriodicTask(
      async () => {
        runs += 1;
        await sleep(50);
        finished += 1;
      },
      1,
      () => {},
    );
    task.start();
    await expect.poll(() => runs, { timeout: 5_000, interval: 1 }).toBe(1);
    await task.stop();
    expect(finished).toBe(1);
    await sleep(30);
    expect(runs).toBe(1);
  });

  it('does not run before its first period, nor at all once stopped before it', async () => {
    let runs = 0;
    const task = new PeriodicTask(async () => void (runs += 1), 20, () => {});
    task.start();
    expect(runs).toBe(0);
    await task.stop();
    await sleep(40);
    expect(runs).toBe(0);
  });
});
