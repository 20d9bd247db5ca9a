// Polls one mailbox: never while another poll of it runs (in any process), never before the back-off
// after failures has passed, and never throwing: a failure (server unreachable, login refused,
// database away) is logged, counted, sets the next poll back and shows in /healthz.
import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import type { Engine } from '../../engine/engine.ts';
import type { EmailDirectory } from './email-directory.ts';
import { pollImap } from './imap-poller.ts';
import type { MailboxHealthBoard } from './mailbox-health.ts';
import { withMailboxLock } from './mailbox-lock.ts';
import { loadMailboxState, recordPollFailure, recordPollSuccess } from './mailbox-state.ts';
import type { PollHooks, PollResult } from './poll-types.ts';
import { pollPop3 } from './pop3-poller.ts';
import { errorMessage } from './transient-errors.ts';

export type PollReport =
  | ({ status: 'ok' } & PollResult)
  | { status: 'failed'; error: string; failures: number; nextAttemptAfter: Date | null }
  | { status: 'backing_off'; nextAttemptAfter: Date }
  | { status: 'busy' }
  | { status: 'stopped' }
  | { status: 'unknown_mailbox' };

export interface MailboxPollerOptions {
  engine: Engine;
  sql: Sql;
  directory: EmailDirectory;
  logger: Logger;
  health?: MailboxHealthBoard;
  hooks?: PollHooks;
}

export class MailboxPoller {
  readonly #options: MailboxPollerOptions;
  readonly #stopping = new AbortController();

  constructor(options: MailboxPollerOptions) {
    this.#options = options;
  }

  /** Polls under way end after the message at hand; later polls do nothing. */
  stop(): void {
    this.#stopping.abort();
  }

  async poll(mailboxId: string): Promise<PollReport> {
    if (this.#stopping.signal.aborted) return { status: 'stopped' };
    const { sql, directory, engine, health } = this.#options;
    const mailbox = directory.mailbox(mailboxId);
    if (!mailbox) return { status: 'unknown_mailbox' };
    const logger = this.#options.logger.child({ channel: 'email', mailbox: mailbox.id });
    try {
      const state = await loadMailboxState(sql, mailbox.id);
      const now = engine.now();
      if (state.retryAt !== null && state.retryAt > now) return { status: 'backing_off', nextAttemptAfter: state.retryAt };

      const deps = { engine, sql, directory, logger, hooks: this.#options.hooks, signal: this.#stopping.signal };
      const outcome = await withMailboxLock(sql, mailbox.id, () => (mailbox.protocol === 'imap' ? pollImap(deps, mailbox) : pollPop3(deps, mailbox)));
      if (!outcome.locked) return { status: 'busy' };
      await recordPollSuccess(sql, mailbox.id, outcome.value.captured, engine.now());
      health?.update(await loadMailboxState(sql, mailbox.id));
      if (outcome.value.captured > 0 || outcome.value.removed > 0) logger.info(outcome.value, 'mailbox polled');
      return { status: 'ok', ...outcome.value };
    } catch (error) {
      const message = errorMessage(error);
      logger.warn({ err: error }, 'mailbox poll failed');
      try {
        const state = await recordPollFailure(sql, mailbox.id, message.slice(0, 2_000), {
          pollEveryMs: mailbox.pollEvery,
          maxBackoffMs: directory.settings().maxPollBackoff,
          now: engine.now(),
        });
        health?.update(state);
        return { status: 'failed', error: message, failures: state.failures, nextAttemptAfter: state.retryAt };
      } catch (recordError) {
        logger.error({ err: recordError }, 'could not record the failed poll');
        return { status: 'failed', error: message, failures: 0, nextAttemptAfter: null };
      }
    }
  }
}
