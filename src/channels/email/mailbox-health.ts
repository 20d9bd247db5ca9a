// What /healthz shows of each mailbox: the state its polls last recorded in Postgres (by any
// process), kept in memory so the report is synchronous. The process's own polls update it at once;
// a refresh from Postgres brings in what other processes recorded.
import type { Sql } from 'postgres';
import type { EmailDirectory } from './email-directory.ts';
import { loadMailboxStates, type MailboxState } from './mailbox-state.ts';

export type MailboxStatus = 'ok' | 'failing' | 'not_polled_yet';

export class MailboxHealthBoard {
  readonly #states = new Map<string, MailboxState>();
  readonly #directory: EmailDirectory;
  readonly #polledHere: boolean;

  constructor(directory: EmailDirectory, polledHere: boolean) {
    this.#directory = directory;
    this.#polledHere = polledHere;
  }

  update(state: MailboxState): void {
    this.#states.set(state.id, state);
  }

  async refresh(sql: Sql): Promise<void> {
    const ids = this.#directory.mailboxes().map((mailbox) => mailbox.id);
    if (ids.length === 0) return;
    for (const state of await loadMailboxStates(sql, ids)) {
      const known = this.#states.get(state.id);
      // Keep whichever is newer: this process may have polled since the query started.
      if (!known || (state.lastPollAt?.getTime() ?? 0) >= (known.lastPollAt?.getTime() ?? 0)) this.#states.set(state.id, state);
    }
  }

  report(): Record<string, unknown> {
    const smtp = this.#directory.smtp();
    return {
      smtp: smtp === null ? null : { host: smtp.host, port: smtp.port, secure: smtp.secure, credentials: smtp.auth === undefined || this.#directory.hasSecret(smtp.auth) ? 'ok' : 'missing' },
      mailboxes: this.#directory.mailboxes().map((mailbox) => {
        const state = this.#states.get(mailbox.id);
        const status: MailboxStatus = !state?.lastPollAt ? 'not_polled_yet' : state.failures > 0 ? 'failing' : 'ok';
        return {
          id: mailbox.id,
          protocol: mailbox.protocol,
          host: mailbox.host,
          port: mailbox.port,
          folder: mailbox.protocol === 'imap' ? mailbox.folder : undefined,
          pollEveryMs: mailbox.pollEvery,
          polledByThisProcess: this.#polledHere,
          credentials: this.#directory.hasSecret(mailbox.auth) ? 'ok' : 'missing',
          status,
          failures: state?.failures ?? 0,
          lastError: state?.lastError ?? null,
          lastErrorAt: state?.lastErrorAt?.toISOString() ?? null,
          nextAttemptAfter: state?.retryAt?.toISOString() ?? null,
          lastPollAt: state?.lastPollAt?.toISOString() ?? null,
          lastSuccessAt: state?.lastSuccessAt?.toISOString() ?? null,
          lastCaptured: state?.lastCaptured ?? 0,
        };
      }),
    };
  }
}
