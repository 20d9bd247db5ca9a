// What a poll reports, and the hooks an embedding application (or a test) may attach to it.
import type { CaptureOutcome } from './capture-message.ts';
import type { MailboxConfig } from './email-config.ts';

export interface PollResult {
  /** Messages that became interactions (or were appended to one), quarantined ones included. */
  captured: number;
  /** Copies of messages captured before, recognised and not captured again. */
  duplicates: number;
  quarantined: number;
  /** Copies deleted or moved out of the mailbox. */
  removed: number;
}

export interface PollHooks {
  /**
   * Called after a message's capture committed and before its copy is removed from the mailbox.
   * If it throws, the poll stops there (captures already under way alongside still finish): what
   * was committed stays, and the copies are removed by the next poll.
   */
  afterCapture?: (outcome: CaptureOutcome, mailbox: MailboxConfig) => void | Promise<void>;
}

export function emptyPollResult(): PollResult {
  return { captured: 0, duplicates: 0, quarantined: 0, removed: 0 };
}

export function countOutcome(result: PollResult, outcome: CaptureOutcome): void {
  if (outcome.status === 'captured') {
    result.captured += 1;
    if (outcome.kind === 'quarantined') result.quarantined += 1;
  } else {
    result.duplicates += 1;
  }
}
