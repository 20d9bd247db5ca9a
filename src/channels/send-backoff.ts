/**
 * How long an outbound send waits before its next attempt: exponential from one second, or longer when
 * the provider said how long to wait (`Retry-After`, carried by the error as `retryAfterMs`), at most
 * 15 minutes. Registered as the outbound worker's backoff strategy for jobs of type SEND_BACKOFF.
 */
export const SEND_BACKOFF = 'send';

const BASE_MS = 1_000;
const MAX_MS = 15 * 60_000;

export function sendBackoffDelay(attemptsMade: number, error: unknown): number {
  const exponential = BASE_MS * 2 ** Math.max(0, attemptsMade - 1);
  const asked = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  const retryAfter = typeof asked === 'number' && Number.isFinite(asked) && asked > 0 ? asked : 0;
  return Math.min(MAX_MS, Math.max(exponential, retryAfter));
}
