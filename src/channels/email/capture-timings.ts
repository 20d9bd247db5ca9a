// Optional timings of the capture path, for benchmarks and diagnostics: each IMAP poll, its IMAP
// round trips (listing new UIDs with their sizes, fetching, removing copies), the parsing of each
// message and each capture transaction, published on a node:diagnostics_channel channel. Nothing is
// measured or published unless something subscribes; the work itself is the same either way.
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

export const CAPTURE_TIMINGS_CHANNEL = 'switchboard:email:capture-timings';

export type CaptureStep = 'poll' | 'imap_list' | 'imap_fetch' | 'imap_remove' | 'parse' | 'transaction';

export interface CaptureTiming {
  step: CaptureStep;
  mailboxId: string;
  /** performance.now() when the step began and ended (it ended either way, succeeded or failed). */
  start: number;
  end: number;
}

const timings = channel(CAPTURE_TIMINGS_CHANNEL);

/** Runs `work`, and when anything listens, publishes how long it took. */
export async function timed<T>(step: CaptureStep, mailboxId: string, work: () => Promise<T>): Promise<T> {
  if (!timings.hasSubscribers) return work();
  const start = performance.now();
  try {
    return await work();
  } finally {
    const timing: CaptureTiming = { step, mailboxId, start, end: performance.now() };
    timings.publish(timing);
  }
}

/** Calls `listener` with every timing from now on (in this process); returns the unsubscribe function. */
export function onCaptureTimings(listener: (timing: CaptureTiming) => void): () => void {
  const handler = (message: unknown) => listener(message as CaptureTiming);
  subscribe(CAPTURE_TIMINGS_CHANNEL, handler);
  return () => void unsubscribe(CAPTURE_TIMINGS_CHANNEL, handler);
}
